import {describe, expect, it} from 'vitest'

import {emptyRunRecord, pendingJobRecord, type JobRecord, type RunRecord} from '../../src/engine/records/record.js'
import {formatRunSummary, MAX_JOBS, runSummarySchema, summariseRun} from '../../src/mcp/run-summary.js'

function step(index: number, name: string, status: JobRecord['steps'][number]['status'], exitCode: number | null) {
  return {index, name, status, exitCode, startedAt: '2026-11-29T10:00:00.000Z', durationMs: 100, allowFailure: false}
}

function record(jobs: Record<string, Partial<JobRecord>>, fields: Partial<RunRecord> = {}): RunRecord {
  const run = {...emptyRunRecord('20261129T100000000Z-abcdef', '2026-11-29T10:00:00.000Z'), targets: ['test'], ...fields}
  run.jobs = Object.fromEntries(Object.entries(jobs).map(([name, job]) => [name, {...pendingJobRecord(), ...job}]))
  return run
}

const failedRun = record(
  {
    build: {status: 'cached', cache: 'hit', cachedFrom: '20261128T000000000Z-000000', durationMs: 5, artifacts: {count: 2, bytes: 7, manifest: 'artifacts/build.json', sha256: 'a'.repeat(64)},
      warnings: [{kind: 'artifact-link-outside', message: 'artifact out/etc is a link to /etc, outside the artifacts: not kept', path: 'out/etc', target: '/etc'}]},
    test: {status: 'failed', cache: 'miss', durationMs: 1200, steps: [step(0, 'install', 'succeeded', 0), step(1, 'npm test', 'failed', 3), step(2, 'report', 'skipped', null)]},
    deploy: {status: 'skipped', skippedReason: 'needs test, which failed'},
  },
  {status: 'failed', durationMs: 1500, finishedAt: '2026-11-29T10:00:01.500Z'},
)

describe('summariseRun', () => {
  it('lists the jobs in plan order with the step that failed, cache use and artifact totals', () => {
    const summary = summariseRun(failedRun, {live: false, logTails: new Map([['test', '==> npm test\n1 failing\n']])})
    expect(runSummarySchema.parse(summary)).toEqual(summary)
    expect(summary.jobs.map((job) => job.name)).toEqual(['build', 'test', 'deploy'])
    expect(summary.counts).toEqual({succeeded: 0, failed: 1, cached: 1, skipped: 1, other: 0})
    const [build, test, deploy] = summary.jobs
    expect(build).toMatchObject({status: 'cached', cache: 'hit', cachedFrom: '20261128T000000000Z-000000', artifacts: {count: 2, bytes: 7}, failedStep: null})
    expect(build!.warnings).toEqual(['artifact out/etc is a link to /etc, outside the artifacts: not kept'])
    expect(test!.warnings).toEqual([])
    expect(build).not.toHaveProperty('logTail')
    expect(test).toMatchObject({status: 'failed', failedStep: {index: 1, name: 'npm test', exitCode: 3}, logTail: '==> npm test\n1 failing\n'})
    expect(deploy).toMatchObject({status: 'skipped', skippedReason: 'needs test, which failed'})
  })

  it('reads as a few lines: the outcome, a line a job with the failing step and its warnings, then the failed log tails', () => {
    const text = formatRunSummary(summariseRun(failedRun, {live: false, logTails: new Map([['test', '==> npm test\n1 failing\n']])}))
    expect(text.split('\n')).toEqual([
      'run 20261129T100000000Z-abcdef failed in 1.5s (targets: test)',
      '  build   cached  5ms',
      '    warning: artifact out/etc is a link to /etc, outside the artifacts: not kept',
      '  test    failed  1.2s  step "npm test" exited 3',
      '  deploy  skipped  needs test, which failed',
      'last lines of test\'s log (read_log {"run":"20261129T100000000Z-abcdef","job":"test"} reads more):',
      '==> npm test',
      '1 failing',
    ])
  })

  it(`lists ${MAX_JOBS} jobs at most and counts the others`, () => {
    const many = record(Object.fromEntries(Array.from({length: MAX_JOBS + 25}, (_, i) => [`job-${i}`, {status: 'succeeded' as const}])), {status: 'succeeded'})
    const summary = summariseRun(many, {live: false})
    expect(summary.jobs).toHaveLength(MAX_JOBS)
    expect(summary.jobsOmitted).toBe(25)
    expect(summary.counts.succeeded).toBe(MAX_JOBS + 25)
    expect(formatRunSummary(summary)).toContain('… and 25 more job(s)')
  })

  it('cuts a long error message', () => {
    const summary = summariseRun(record({}, {status: 'failed', error: {kind: 'infra', message: 'x'.repeat(10_000)}}), {live: false})
    expect(summary.error!.message.length).toBeLessThan(4100)
    expect(summary.error!.message).toMatch(/more characters not shown\]$/)
  })
})
