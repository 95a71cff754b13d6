import {describe, expect, it} from 'vitest'

import type {OrcaEvent} from '../../../src/engine/records/events.js'
import {emptyRunRecord, foldEvent, foldEvents, jobRecordOf, pendingJobRecord} from '../../../src/engine/records/record.js'
import type {RunRecord} from '../../../src/engine/records/record.js'
import {diamondEvents, RUN_ID, stamp} from './diamond-events.js'
import {readSchema, schemaValidators} from './schemas.js'

const validate = schemaValidators()

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

describe('foldEvent', () => {
  const events = diamondEvents()
  const record = foldEvents(events) as RunRecord

  it('records the run: identity, targets, times and final status', () => {
    expect(record).toMatchObject({
      id: RUN_ID,
      status: 'failed',
      targets: ['deploy', 'docs'],
      file: '/project/jobs.yml',
      host: 'ci-1',
      pid: 4242,
      orcaVersion: '0.1.0',
      startedAt: events[0]!.time,
      finishedAt: events.at(-1)!.time,
      durationMs: 9800,
      error: null,
      lastSeq: events.length,
    })
    expect(Object.keys(record.jobs)).toEqual(['build', 'lint', 'test', 'docs', 'deploy'])
  })

  it('records a succeeded job with its container, steps, artifacts and cleanup', () => {
    expect(record.jobs.build).toMatchObject({
      status: 'succeeded',
      key: 'a'.repeat(64),
      cache: 'miss',
      image: 'busybox:1.36',
      imageId: 'sha256:' + '1'.repeat(64),
      containerId: 'c0ffee01',
      durationMs: 4200,
      cleanup: 'removed',
      error: null,
      skippedReason: null,
      artifacts: {count: 2, bytes: 10240, manifest: 'artifacts/build.json', sha256: 'b'.repeat(64)},
    })
    expect(record.jobs.build!.steps.map((s) => [s.name, s.status, s.exitCode, s.durationMs])).toEqual([
      ['compile', 'succeeded', 0, 1200],
      ['package', 'succeeded', 0, 300],
    ])
  })

  it('keeps an allowed step failure inside a succeeded job', () => {
    expect(record.jobs.lint!.status).toBe('succeeded')
    expect(record.jobs.lint!.steps[0]).toMatchObject({name: 'style', status: 'failed', exitCode: 1, allowFailure: true})
  })

  it('records warnings with the fields they lack as null', () => {
    expect(record.jobs.lint!.warnings).toEqual([
      {kind: 'cache-damaged', message: 'cache entry cccccccccccc was damaged (blob missing): it was removed and the job runs', path: null, target: null},
    ])
    expect(record.jobs.build!.warnings).toEqual([])
  })

  it('records failed, timed out and skipped jobs with why', () => {
    expect(record.jobs.docs).toMatchObject({status: 'failed', cache: 'disabled'})
    expect(record.jobs.docs!.steps.map((s) => s.status)).toEqual(['failed', 'skipped'])
    expect(record.jobs.test).toMatchObject({status: 'timed_out', cleanup: 'kept', error: {kind: 'timeout'}})
    expect(record.jobs.test!.steps[0]).toMatchObject({status: 'timed_out', exitCode: null})
    expect(record.jobs.deploy).toMatchObject({
      status: 'skipped',
      skippedReason: 'needs test (timed_out)',
      startedAt: null,
      durationMs: null,
      steps: [],
    })
  })

  it('shows jobs pending until they start', () => {
    const early = foldEvents(events.slice(0, 3)) as RunRecord
    expect(early.status).toBe('running')
    expect(early.jobs.deploy).toMatchObject({status: 'pending', cache: null, key: null})
    expect(early.jobs.build).toMatchObject({status: 'running', cache: 'miss'})
  })

  it('records a job named like a property of Object.prototype as any other job', () => {
    const folded = foldEvents(
      stamp([
        {type: 'run.started', targets: ['constructor'], jobs: ['constructor'], file: '/p/jobs.yml', projectDir: '/p', pid: 1, host: 'h', orcaVersion: '0'},
        {type: 'job.started', job: 'constructor', image: 'busybox:1.36'},
        {type: 'job.finished', job: 'constructor', status: 'succeeded', durationMs: 1, cleanup: 'none'},
        {type: 'run.finished', status: 'succeeded', durationMs: 2},
      ]),
    ) as RunRecord
    expect(Object.keys(folded.jobs)).toEqual(['constructor'])
    expect(folded.jobs.constructor).toEqual({...pendingJobRecord(), status: 'succeeded', image: 'busybox:1.36', executor: 'docker', cache: 'disabled', startedAt: expect.any(String), finishedAt: expect.any(String), durationMs: 1, cleanup: 'none'})
    expect(validate.record(folded), JSON.stringify(validate.record.errors)).toBe(true)
  })

  it('never mutates the record it is given', () => {
    let current: RunRecord | undefined
    for (const event of events) current = deepFreeze(foldEvent(current, event))
    expect(current).toEqual(record)
  })

  it('marks a cache hit with the run that produced it', () => {
    const events = stamp([
        {type: 'run.started', targets: [], jobs: ['build'], file: '/p/jobs.yml', projectDir: '/p', pid: 1, host: 'h', orcaVersion: '0.1.0'},
        {type: 'job.started', job: 'build', image: 'busybox:1.36', key: 'f'.repeat(64), cache: 'hit'},
        {type: 'step.output', job: 'build', step: 0, stream: 'stdout', text: 'built\n', replayed: true},
        {type: 'job.artifacts', job: 'build', count: 1, bytes: 3, manifest: 'artifacts/build.json', sha256: 'a'.repeat(64)},
        {type: 'job.finished', job: 'build', status: 'cached', durationMs: 3, cleanup: 'none', cachedFrom: '20261125T203015123Z-3f9a1c'},
        {type: 'run.finished', status: 'succeeded', durationMs: 10},
      ])
    const cached = foldEvents(events) as RunRecord
    expect(cached.jobs.build).toMatchObject({
      status: 'cached',
      cache: 'hit',
      cleanup: 'none',
      artifacts: {count: 1, bytes: 3, manifest: 'artifacts/build.json', sha256: 'a'.repeat(64)},
      cachedFrom: '20261125T203015123Z-3f9a1c',
    })
    expect(validate.record(cached)).toBe(true)
    for (const event of events) expect(validate.event(event), JSON.stringify(validate.event.errors)).toBe(true)
  })

  it('leaves no job pending or running once the run is finished', () => {
    const cancelled = foldEvents(
      stamp([
        {type: 'run.started', targets: [], jobs: ['a', 'b'], file: '/p/jobs.yml', projectDir: '/p', pid: 1, host: 'h', orcaVersion: '0.1.0'},
        {type: 'job.started', job: 'a', image: 'busybox:1.36'},
        {type: 'step.started', job: 'a', step: 0, name: 'sleep'},
        {type: 'run.finished', status: 'cancelled', durationMs: 10},
      ]),
    ) as RunRecord
    expect(cancelled.status).toBe('cancelled')
    expect(cancelled.jobs.a).toMatchObject({status: 'cancelled', steps: [{status: 'cancelled'}]})
    expect(cancelled.jobs.b!.status).toBe('skipped')
    expect(validate.record(cancelled)).toBe(true)
  })

  it('marks a job whose output was capped, and only that job', () => {
    const events = diamondEvents().map((e) => (e.type === 'job.finished' && e.job === 'docs' ? {...e, logTruncated: true as const} : e))
    const record = foldEvents(events)!
    expect(record.jobs.docs).toMatchObject({status: 'failed', logTruncated: true})
    expect(record.jobs.build!.logTruncated).toBe(false)
    // One compilation of the schemas, not one per event.
    const validators = schemaValidators()
    expect(validators.record(record)).toBe(true)
    expect(events.every((e) => validators.event(e))).toBe(true)
  })

  it('records jobs named like Object.prototype\'s properties as jobs, and finds no record for an absent one', () => {
    const record = foldEvents(
      stamp([
        {type: 'run.started', targets: [], jobs: ['constructor', 'prototype'], file: '/p/jobs.yml', projectDir: '/p', pid: 1, host: 'h', orcaVersion: '0.1.0'},
        {type: 'job.started', job: 'constructor', image: 'busybox:1.36'},
        {type: 'step.started', job: 'constructor', step: 0, name: 'build'},
        {type: 'step.finished', job: 'constructor', index: 0, name: 'build', status: 'succeeded', exitCode: 0, durationMs: 5, allowFailure: false},
        {type: 'job.finished', job: 'constructor', status: 'succeeded', durationMs: 10, cleanup: 'removed'},
        {type: 'run.finished', status: 'failed', durationMs: 20},
      ]),
    ) as RunRecord
    expect(Object.keys(record.jobs)).toEqual(['constructor', 'prototype'])
    expect(record.jobs.constructor).toMatchObject({status: 'succeeded', steps: [{name: 'build', exitCode: 0}]})
    expect(record.jobs.prototype).toMatchObject({status: 'skipped', skippedReason: 'the run ended first'})
    expect(validate.record(JSON.parse(JSON.stringify(record)))).toBe(true)
    for (const name of ['toString', 'hasOwnProperty', '__proto__', 'valueOf']) expect(jobRecordOf(record, name), name).toBeUndefined()
    // A record read back from run.json is a plain object again.
    expect(jobRecordOf(JSON.parse(JSON.stringify(record)) as RunRecord, 'constructor')?.status).toBe('succeeded')
  })

  it('starts a record from events that precede run.started', () => {
    const [pull] = stamp([{type: 'image.pull', image: 'busybox:1.36', status: 'Pulling'}])
    const rec = foldEvent(undefined, pull as OrcaEvent)
    expect(rec).toMatchObject({id: RUN_ID, status: 'running', lastSeq: 1, jobs: {}})
  })
})

describe('schemas', () => {
  it('accept every event of a realistic run', () => {
    for (const event of diamondEvents()) {
      const ok = validate.event(event)
      expect(ok ? [] : validate.event.errors, `${event.type} #${event.seq}`).toEqual([])
    }
  })

  it('accept the record after every event', () => {
    let record: RunRecord | undefined
    for (const event of diamondEvents()) {
      record = foldEvent(record, event)
      const ok = validate.record(record)
      expect(ok ? [] : validate.record.errors, `after ${event.type} #${event.seq}`).toEqual([])
    }
  })

  it('reject events of unknown types or with unknown fields', () => {
    const [started] = diamondEvents()
    expect(validate.event({...started, type: 'job.exploded'})).toBe(false)
    expect(validate.event({...started, extra: 1})).toBe(false)
    expect(validate.event({...started, seq: 0})).toBe(false)
    const {host: _host, ...noHost} = started as OrcaEvent & {host: string}
    expect(validate.event(noHost)).toBe(false)
  })

  it('reject a record missing a job field', () => {
    const record = foldEvents(diamondEvents()) as RunRecord
    const {key: _key, ...build} = record.jobs.build!
    expect(validate.record({...record, jobs: {...record.jobs, build}})).toBe(false)
  })

  it('describe exactly the fields the record has, and every event type', () => {
    type Props = {properties: Record<string, unknown>; required: string[]}
    const record = readSchema('run-record.schema.json') as Props & {$defs: Record<string, Props>}
    const job = record.$defs.job!
    expect(Object.keys(record.properties).sort()).toEqual(Object.keys(emptyRunRecord(RUN_ID, '')).sort())
    expect(record.required.sort()).toEqual(Object.keys(emptyRunRecord(RUN_ID, '')).sort())
    expect(Object.keys(job.properties).sort()).toEqual(Object.keys(pendingJobRecord()).sort())
    expect(job.required.sort()).toEqual(Object.keys(pendingJobRecord()).sort())

    const events = readSchema('event.schema.json') as {oneOf: Array<{$ref: string}>}
    const types = events.oneOf.map((branch) => branch.$ref.replace('#/$defs/', '')).sort()
    expect(types).toEqual([...new Set(diamondEvents().map((e) => e.type))].sort())
  })
})
