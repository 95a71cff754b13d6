import {describe, expect, it} from 'vitest'

import {parseExpression} from '../../../src/engine/pipeline/expression.js'
import type {Job} from '../../../src/engine/pipeline/types.js'
import {planRun} from '../../../src/engine/plan/plan.js'
import type {Prestarted} from '../../../src/engine/executor/types.js'
import type {JobStatus} from '../../../src/engine/records/events.js'
import {AHEAD_MARGIN, jobsToStartAhead, MAX_AHEAD, MAX_STARTING, PrestartPool} from '../../../src/engine/run/prestart.js'
import {job, pipeline} from '../../helpers/pipeline.js'

const chain = (n: number): Job[] => Array.from({length: n}, (_, i) => job(`j${i + 1}`, {needs: i === 0 ? [] : [`j${i}`]}))

function choose(jobs: Job[], states: Record<string, JobStatus>, options: {executing?: string[]; ahead?: string[]; declined?: string[]; concurrency?: number} = {}): string[] {
  const plan = planRun(pipeline(jobs), [])
  return jobsToStartAhead(plan, {
    stateOf: (name) => states[name] ?? 'pending',
    executing: new Set(options.executing ?? []),
    ahead: new Set(options.ahead ?? []),
    declined: new Set(options.declined ?? []),
    concurrency: options.concurrency ?? 4,
  })
}

describe('jobsToStartAhead', () => {
  it('starts the next jobs of a chain ahead while its first job runs its steps, up to the limit', () => {
    expect(choose(chain(6), {j1: 'running'}, {executing: ['j1']})).toEqual(['j2', 'j3', 'j4'].slice(0, MAX_AHEAD))
  })

  it('starts nothing ahead of a job that is not running its steps (being keyed, or a cache hit being restored)', () => {
    expect(choose(chain(3), {j1: 'running'})).toEqual([])
  })

  it('counts containers already waiting and keeps running ones plus waiting ones within concurrency + margin', () => {
    expect(choose(chain(6), {j1: 'running'}, {executing: ['j1'], ahead: ['j2']})).toEqual(['j3', 'j4'].slice(0, MAX_AHEAD - 1))
    // Concurrency 1: one running container and at most AHEAD_MARGIN waiting.
    expect(choose(chain(6), {j1: 'running'}, {executing: ['j1'], concurrency: 1})).toHaveLength(Math.min(MAX_AHEAD, AHEAD_MARGIN))
  })

  it('starts no job whose needs are not all on their way to success, nor a group, nor a job with a condition of its own', () => {
    const jobs = [
      job('a'),
      job('b'),
      job('after-both', {needs: ['a', 'b']}),
      job('group', {needs: ['a'], steps: []}),
      job('cleanup', {needs: ['a'], when: 'always'}),
      job('guarded', {needs: ['a'], condition: {source: "env.X == 'y'", expression: parseExpression("env.X == 'y'")}}),
      job('plain', {needs: ['a']}),
    ]
    // b is pending (not started, not ahead): after-both waits for it.
    expect(choose(jobs, {a: 'running'}, {executing: ['a']})).toEqual(['plain'])
  })

  it('starts nothing behind a failed need, nor a job with no needs or only cached ones (it may be a cache hit)', () => {
    expect(choose(chain(3), {j1: 'failed'}, {executing: []})).toEqual([])
    expect(choose(chain(3), {j1: 'cached'}, {executing: ['other']})).toEqual([])
    expect(choose([job('a'), job('b', {needs: ['a']}), job('c')], {a: 'running', b: 'pending'}, {executing: ['a']})).toEqual(['b'])
  })

  it('starts a job whose needs ran and succeeded while it waits for a free slot (the middle of a diamond)', () => {
    const middle = Array.from({length: 6}, (_, i) => job(`m${i + 1}`, {needs: ['root']}))
    const states: Record<string, JobStatus> = {root: 'succeeded', m1: 'running', m2: 'running'}
    // Concurrency 2: two running, two more waiting ahead (concurrency + margin).
    expect(choose([job('root'), ...middle], states, {executing: ['m1', 'm2'], concurrency: 2})).toEqual(['m3', 'm4'])
    expect(choose(chain(3), {j1: 'succeeded', j2: 'running'}, {executing: ['j2']})).toEqual(['j3'])
  })

  it('passes over a job the executor declined (services) and over its dependents', () => {
    expect(choose(chain(4), {j1: 'running'}, {executing: ['j1'], declined: ['j2']})).toEqual([])
  })
})

/** A fake early container: records whether it was discarded; ready at once unless `ready` is given. */
function fakeEarly(log: string[], name: string, ready = Promise.resolve(true)): Prestarted {
  return {
    ready,
    discard: async () => {
      log.push(`discard ${name}`)
    },
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('PrestartPool', () => {
  function poolOf(jobs: Job[], states: Map<string, JobStatus>, stop = new AbortController(), ready?: (name: string) => Promise<boolean>) {
    const log: string[] = []
    const plan = planRun(pipeline(jobs), [])
    const pool = new PrestartPool(plan, 4, (name) => states.get(name), (j) => (log.push(`start ${j.name}`), fakeEarly(log, j.name, ready?.(j.name))), stop.signal)
    return {pool, log, stop}
  }

  it(`makes at most ${MAX_STARTING} early containers at a time, the next once one before is ready`, async () => {
    const states = new Map<string, JobStatus>(chain(6).map((j) => [j.name, j.name === 'j1' ? 'running' : 'pending']))
    const readiness = new Map<string, (ok: boolean) => void>()
    const {pool, log} = poolOf(chain(6), states, new AbortController(), (name) => new Promise((resolve) => readiness.set(name, resolve)))
    pool.executing('j1')
    await tick()
    const first = Array.from({length: MAX_STARTING}, (_, i) => `start j${i + 2}`)
    expect(log).toEqual(first)
    readiness.get('j2')!(true)
    await tick()
    expect(log).toEqual([...first, `start j${MAX_STARTING + 2}`])
    for (const ready of readiness.values()) ready(true)
    await pool.close()
  })

  it('hands a job its early container once, and discards the containers of jobs that did not take theirs', async () => {
    const states = new Map<string, JobStatus>([['j1', 'running'], ['j2', 'pending'], ['j3', 'pending']])
    const {pool, log} = poolOf(chain(3), states)
    pool.executing('j1')
    await tick()
    expect(log).toEqual(['start j2', 'start j3'])
    states.set('j1', 'succeeded')
    states.set('j2', 'running')
    expect(pool.take('j2')).toBeDefined()
    expect(pool.take('j2')).toBeUndefined()
    // j2 failed: j3 is skipped, its container goes.
    pool.discard('j3')
    await pool.close()
    expect(log).toEqual(['start j2', 'start j3', 'discard j3'])
  })

  it('discards every waiting container when the run stops, and starts no more', async () => {
    const states = new Map<string, JobStatus>([['j1', 'running'], ['j2', 'pending'], ['j3', 'pending']])
    const {pool, log, stop} = poolOf(chain(3), states)
    pool.executing('j1')
    await tick()
    stop.abort()
    pool.executing('j1')
    await tick()
    await pool.close()
    expect(log.sort()).toEqual(['discard j2', 'discard j3', 'start j2', 'start j3'])
  })

  it('discards the container of a job that settled without taking it (a cache hit)', async () => {
    const states = new Map<string, JobStatus>([['j1', 'running'], ['j2', 'pending'], ['j3', 'pending']])
    const {pool, log} = poolOf(chain(2), states)
    pool.executing('j1')
    states.set('j2', 'cached')
    pool.settled('j2')
    await pool.close()
    expect(log).toEqual(['start j2', 'discard j2'])
  })
})
