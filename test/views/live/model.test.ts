import {describe, expect, it} from 'vitest'

import type {EventBody} from '../../../src/engine/records/events.js'
import {layoutJobs} from '../../../src/views/live/layout.js'
import {ViewModel, type ViewSnapshot} from '../../../src/views/live/model.js'
import {diamondEvents, stamp} from '../../engine/records/diamond-events.js'

const START = Date.parse('2026-11-25T20:30:15.123Z')

function modelAfter(count: number, past?: ConstructorParameters<typeof ViewModel>[0]): ViewModel {
  const model = new ViewModel(past)
  for (const event of diamondEvents().slice(0, count)) model.handle(event)
  return model
}

describe('ViewModel', () => {
  it('shows each job in plan order with its state, running step, time and last lines', () => {
    const snapshot = modelAfter(11).snapshot(START + 2000)
    expect(snapshot.jobs.map((j) => [j.name, j.status])).toEqual([
      ['build', 'running'],
      ['lint', 'pending'],
      ['test', 'pending'],
      ['docs', 'running'],
      ['deploy', 'pending'],
    ])
    const build = snapshot.jobs[0]!
    expect(build.step).toBe('compile')
    expect(build.elapsedMs).toBe(1800)
    expect(build.cache).toBe('miss')
    expect(build.lines).toEqual(['compiling 3 files', 'token=***', 'no newline at the end'])
    expect(snapshot).toMatchObject({done: 0, total: 5, elapsedMs: 2000})
  })

  it('shows jobs named like Object.prototype\'s properties like any other', () => {
    const model = new ViewModel()
    const bodies: EventBody[] = [
      {type: 'run.started', targets: [], jobs: ['constructor', 'prototype'], file: '/p/jobs.yml', projectDir: '/p', pid: 1, host: 'h', orcaVersion: '0.1.0'},
      {type: 'job.started', job: 'constructor', image: 'busybox:1.36', key: 'a'.repeat(64), cache: 'hit'},
      {type: 'step.output', job: 'constructor', step: 0, stream: 'stdout', text: 'from the cache\n', replayed: true},
      {type: 'job.finished', job: 'constructor', status: 'cached', durationMs: 1, cleanup: 'none'},
    ]
    for (const event of stamp(bodies)) model.handle(event)
    const snapshot = model.snapshot(START + 1000)
    expect(snapshot.jobs.map((j) => [j.name, j.status, j.replayed])).toEqual([
      ['constructor', 'cached', true],
      ['prototype', 'pending', false],
    ])
  })

  it('shows each image\'s pull until that image is ready', () => {
    expect(modelAfter(2).snapshot(START).pulls).toEqual([{image: 'busybox:1.36', status: 'Downloading', current: 10, total: 100}])
    // Containers of other jobs do not end a pull: the image's own image.ready does.
    expect(modelAfter(5).snapshot(START).pulls).toHaveLength(1)
    expect(modelAfter(Infinity).snapshot(START).pulls).toEqual([])
  })

  it('sums the bytes of an image\'s layers into one line while they download side by side', () => {
    const model = new ViewModel()
    const bodies: EventBody[] = [
      {type: 'run.started', targets: ['a'], jobs: ['a'], file: '/p/jobs.yml', projectDir: '/p', pid: 1, host: 'h', orcaVersion: '0'},
      {type: 'image.pull', image: 'node:20', status: 'Pulling from library/node'},
      {type: 'image.pull', image: 'node:20', layer: 'l1', status: 'l1: Downloading', current: 30, total: 100},
      {type: 'image.pull', image: 'node:20', layer: 'l2', status: 'l2: Downloading', current: 50, total: 200},
      {type: 'image.pull', image: 'node:20', layer: 'l1', status: 'l1: Download complete'},
    ]
    for (const event of stamp(bodies)) model.handle(event)
    expect(model.snapshot(START).pulls).toEqual([{image: 'node:20', status: '1/2 layers', current: 150, total: 300}])
  })

  it('ends with every job settled, failures carrying their step and reason', () => {
    const snapshot = modelAfter(Infinity).snapshot(START + 60_000)
    expect(snapshot).toMatchObject({status: 'failed', done: 5, total: 5, elapsedMs: 9800})
    const docs = snapshot.jobs.find((j) => j.name === 'docs')!
    expect(docs).toMatchObject({status: 'failed', step: 'render', detail: 'step "render" exited 2', lines: ['render: missing title']})
    expect(snapshot.jobs.find((j) => j.name === 'deploy')!.detail).toBe('needs test (timed_out)')
  })

  it('estimates from past runs: per job, and time left for the same set of jobs', () => {
    const past = {runMs: 10_000, jobMs: new Map([['build', 4000]])}
    const snapshot = modelAfter(11, past).snapshot(START + 3000)
    expect(snapshot.jobs[0]!.estimateMs).toBe(4000)
    expect(snapshot.jobs[1]!.estimateMs).toBeNull()
    expect(snapshot.etaMs).toBe(7000)
    expect(modelAfter(Infinity, past).snapshot(START).etaMs).toBeUndefined()
  })

  it('marks a cached job whose output was replayed', () => {
    const model = new ViewModel()
    const events = stamp([
      {type: 'run.started', targets: ['a'], jobs: ['a'], file: 'f', projectDir: '/p', pid: 1, host: 'h', orcaVersion: '0'},
      {type: 'job.started', job: 'a', image: 'busybox', key: 'k'.repeat(64), cache: 'hit'},
      {type: 'step.output', job: 'a', step: 0, stream: 'stdout', text: 'from last time\n'},
      {type: 'job.finished', job: 'a', status: 'cached', durationMs: 3, cleanup: 'none'},
    ] satisfies EventBody[])
    for (const event of events) model.handle(event)
    expect(model.snapshot(START).jobs[0]).toMatchObject({status: 'cached', cache: 'hit', replayed: true, lines: ['from last time']})
  })
})

function manyJobs(count: number, running: number[], failed: number[] = []): ViewSnapshot {
  const jobs = Array.from({length: count}, (_, i) => ({
    name: `job-${i}`,
    status: running.includes(i) ? ('running' as const) : failed.includes(i) ? ('failed' as const) : i < 10 ? ('succeeded' as const) : ('pending' as const),
    cache: null,
    replayed: false,
    step: null,
    elapsedMs: null,
    estimateMs: null,
    lines: running.includes(i) ? ['a', 'b', 'c', 'd'] : [],
    detail: '',
    warnings: [],
  }))
  return {runId: 'r', status: 'running', jobs, pulls: [], done: 0, total: count, elapsedMs: 0, cancelling: 0}
}

describe('layoutJobs', () => {
  it('gives every job a row and running jobs a few output lines when there is room', () => {
    const layout = layoutJobs(manyJobs(5, [1, 2]), 40)
    expect(layout.rows.map((r) => r.lines)).toEqual([0, 3, 3, 0, 0])
    expect(layout.hidden).toEqual({done: 0, pending: 0, running: 0})
  })

  it('never draws a frame taller than the screen: running and failed jobs first, the rest counted', () => {
    const layout = layoutJobs(manyJobs(50, [20, 30, 40], [5]), 20)
    const height = 1 + layout.rows.reduce((n, r) => n + 1 + r.lines, 0) + 1 + 2
    expect(height).toBeLessThan(20)
    const names = layout.rows.map((r) => r.job.name)
    expect(names).toEqual(expect.arrayContaining(['job-5', 'job-20', 'job-30', 'job-40']))
    expect(names).toEqual([...names].sort((a, b) => Number(a.slice(4)) - Number(b.slice(4))))
    const hidden = layout.hidden
    expect(hidden.done + hidden.pending + hidden.running + layout.rows.length).toBe(50)
  })
})
