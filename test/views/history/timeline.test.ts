import {describe, expect, it} from 'vitest'

import {barText, criticalPath, layoutTimeline} from '../../../src/views/history/timeline.js'
import {emptyRunRecord, pendingJobRecord, type RunRecord} from '../../../src/engine/records/record.js'

const T0 = Date.parse('2026-11-25T10:00:00.000Z')
const at = (s: number): string => new Date(T0 + s * 1000).toISOString()

/** build 0-4s, then lint 4-6s and test 4-10s in parallel, deploy 10-11s; docs skipped. */
function diamond(): RunRecord {
  const job = (start: number, end: number, status: 'succeeded' | 'cached' = 'succeeded') => ({
    ...pendingJobRecord(),
    status,
    startedAt: at(start),
    finishedAt: at(end),
    durationMs: (end - start) * 1000,
  })
  return {
    ...emptyRunRecord('20261125T100000000Z-abcdef', at(0)),
    status: 'succeeded',
    finishedAt: at(11),
    durationMs: 11_000,
    jobs: {
      build: job(0, 4),
      lint: job(4, 6),
      test: job(4, 10),
      deploy: job(10, 11),
      docs: {...pendingJobRecord(), status: 'skipped'},
    },
  }
}

describe('layoutTimeline', () => {
  it('puts every job on one axis so parallel jobs overlap', () => {
    const layout = layoutTimeline(diamond(), 22)
    expect(layout.totalMs).toBe(11_000)
    const bars = Object.fromEntries(layout.bars.map((b) => [b.job, barText(b, 22)]))
    expect(bars).toEqual({
      build: '████████              ',
      lint: '        ████          ',
      test: '        ████████████  ',
      deploy: '                    ██',
      docs: '                      ',
    })
  })

  it('marks the critical path: the chain that decided how long the run took', () => {
    const layout = layoutTimeline(diamond(), 22)
    expect(layout.bars.filter((b) => b.critical).map((b) => b.job)).toEqual(['build', 'test', 'deploy'])
  })

  it('shows an instant (cached) job as at least one column', () => {
    const record = diamond()
    record.jobs.build = {...record.jobs.build!, status: 'cached', finishedAt: at(0)}
    const bar = layoutTimeline(record, 22).bars.find((b) => b.job === 'build')!
    expect(barText(bar, 22)).toBe('░' + ' '.repeat(21))
  })

  it('lets a running job reach now', () => {
    const record = {...diamond(), status: 'running' as const, finishedAt: null, durationMs: null}
    record.jobs = {...record.jobs, deploy: {...record.jobs.deploy!, status: 'running', finishedAt: null}}
    const layout = layoutTimeline(record, 20, T0 + 20_000)
    expect(layout.totalMs).toBe(20_000)
    expect(barText(layout.bars.find((b) => b.job === 'deploy')!, 20)).toBe(' '.repeat(10) + '▒'.repeat(10))
  })
})

describe('criticalPath', () => {
  it('is empty without jobs that ran', () => {
    expect(criticalPath([])).toEqual([])
  })
})
