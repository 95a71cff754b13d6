import {createElement as h} from 'react'
import {afterEach, describe, expect, it, vi} from 'vitest'

// Ink renders only the last frame when it believes it runs in CI.
vi.hoisted(() => {
  process.env.CI = 'false'
})

const {cleanup, render} = await import('ink-testing-library')
const {RunView, CancelKeys} = await import('../../../src/views/live/run-view.js')
const {RunSummary} = await import('../../../src/views/live/summary.js')
const {ViewModel} = await import('../../../src/views/live/model.js')
const {diamondEvents} = await import('../../engine/records/diamond-events.js')

const START = Date.parse('2026-11-25T20:30:15.123Z')
// eslint-disable-next-line no-control-regex
const plain = (text: string | undefined): string => (text ?? '').replace(/\u001B\[[0-9;]*m/g, '')

function snapshotAfter(count: number, now: number, past?: {runMs?: number; jobMs: Map<string, number>}) {
  const model = new ViewModel(past)
  for (const event of diamondEvents().slice(0, count)) model.handle(event)
  return model.snapshot(now)
}

afterEach(() => cleanup())

describe('RunView', () => {
  it('shows the jobs in plan order with spinners, time, cache badge, running step and last lines', () => {
    const past = {runMs: 12_000, jobMs: new Map([['build', 5000]])}
    const {lastFrame} = render(h(RunView, {snapshot: snapshotAfter(11, START + 2000, past), now: START + 2000, columns: 100, rows: 40}))
    const lines = plain(lastFrame()).split('\n')
    expect(lines[0]).toBe('orca run 20261125T203015123Z-3f9a1c')
    expect(lines[1]).toMatch(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] build {2}running 1\.8s\/~5\.0s cache miss ▶ compile$/)
    expect(lines.slice(2, 5)).toEqual(['    │ compiling 3 files', '    │ token=***', '    │ no newline at the end'])
    expect(lines[5]).toBe('· lint   pending')
    expect(lines).toContain('    │ render: missing title')
    expect(lines.at(-2)).toMatch(/^░+ 0\/5 jobs · 2\.0s · ~10\.0s left$/)
    expect(lines.at(-1)).toBe('Ctrl-C to cancel')
  })

  it('shows image pulls with a bar, and that the run is being cancelled', () => {
    const snapshot = {...snapshotAfter(2, START + 500), cancelling: 1}
    const frame = plain(render(h(RunView, {snapshot, now: START + 500, columns: 100, rows: 40})).lastFrame())
    expect(frame).toMatch(/pulling busybox:1\.36 █+░+ 10 B\/100 B Downloading/)
    expect(frame).toContain('cancelling the run… press Ctrl-C again to stop containers without waiting')
  })

  it('fits 50 jobs in a small terminal', () => {
    const model = new ViewModel()
    const jobs = Array.from({length: 50}, (_, i) => `job-${i}`)
    const events = [
      {type: 'run.started', targets: jobs, jobs, file: 'f', projectDir: '/p', pid: 1, host: 'h', orcaVersion: '0'},
      ...jobs.slice(0, 4).map((job) => ({type: 'job.started', job, image: 'busybox'})),
      ...jobs.slice(0, 4).map((job) => ({type: 'step.output', job, step: 0, stream: 'stdout', text: 'x\n'.repeat(10)})),
    ]
    events.forEach((body, i) => model.handle({...body, seq: i + 1, time: new Date(START).toISOString(), runId: 'r'} as never))
    const frame = plain(render(h(RunView, {snapshot: model.snapshot(START), now: START, columns: 80, rows: 24})).lastFrame())
    expect(frame.split('\n').length).toBeLessThan(24)
    expect(frame).toContain('job-3')
    expect(frame).toMatch(/… \d+ pending/)
  })

  it('Ctrl-C typed in the view calls cancel', () => {
    const onCancel = vi.fn()
    const {stdin} = render(h(CancelKeys, {onCancel}))
    stdin.write('x')
    expect(onCancel).not.toHaveBeenCalled()
    stdin.write('\u0003')
    expect(onCancel).toHaveBeenCalledTimes(1)
  })
})

describe('RunSummary', () => {
  it('lists every job with state, time and cache, keeps the failures’ last lines, then the totals', () => {
    const frame = plain(render(h(RunSummary, {snapshot: snapshotAfter(Infinity, START), columns: 100})).lastFrame())
    const lines = frame.split('\n')
    expect(lines).toContain('✗ docs: failed (step "render" exited 2), last 1 line:')
    expect(lines).toContain('  │ render: missing title')
    expect(lines).toContain('✗ test: timed out (step "sleep" exceeded its timeout of 5s)')
    const summary = lines.slice(lines.indexOf('Summary'))
    expect(summary).toEqual([
      'Summary',
      '  ✓ build  succeeded   4.2s cache miss',
      '  ✓ lint   succeeded  500ms cache miss flaky: passed on attempt 2',
      '  ✗ test   timed out   5.1s cache miss step "sleep" exceeded its timeout of 5s',
      '  ✗ docs   failed     400ms step "render" exited 2',
      '  ○ deploy skipped          needs test (timed_out)',
      '  ! lint: cache entry cccccccccccc was damaged (blob missing): it was removed and the job runs',
      'remote cache: 1 miss',
      'volumes: 1 restored (4.0 KiB, 1 from the remote cache), 1 saved',
      '5 jobs: 2 succeeded, 1 timed out, 1 failed, 1 skipped; ✗ run failed in 9.8s',
    ])
  })
})
