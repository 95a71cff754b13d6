import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {NEUTRAL_ENV, orca, projectsPerTest, readJson, readLines, runDirs} from './cli.js'

type StepRecord = {name: string; status: string; exitCode: number | null}
type AttemptRecord = {attempt: number; status: string; containerId: string | null; steps: StepRecord[]; error: unknown}
type JobRecord = {status: string; flaky: boolean; attempts: AttemptRecord[]; steps: StepRecord[]; containerId: string | null}
type RunRecord = {status: string; jobs: Record<string, JobRecord>}

const project = projectsPerTest()

const PIPELINE = `version: 1
image: busybox:1.36
jobs:
  flaky:
    retry: 2
    inputs: []
    steps:
      - name: fresh
        run: test ! -e mark && touch mark && echo "attempt $ORCA_JOB_ATTEMPT"
      - name: passes third
        run: test "$ORCA_JOB_ATTEMPT" -ge 3
  broken:
    retry: {max: 1, when: [failure]}
    inputs: []
    steps:
      - name: always fails
        run: echo "try $ORCA_JOB_ATTEMPT"; exit 3
  after:
    needs: [flaky]
    inputs: []
    steps: [echo after flaky]
`

describe('retry: (real engine)', () => {
  it('runs a job again in a fresh container until it passes, records every attempt and flags it flaky; a job that always fails stops after max + 1', async () => {
    const dir = project({'jobs.yml': PIPELINE})
    const result = await orca(['run', '--output', 'plain', '--junit', 'junit.xml'], {cwd: dir, env: NEUTRAL_ENV})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/^\[flaky\] +↻ attempt 1 of 3 failed \(step "passes third" exited 1\); retrying$/m)
    expect(result.stdout).toMatch(/^\[flaky\] +↻ attempt 2 of 3 failed \(step "passes third" exited 1\); retrying$/m)
    expect(result.stdout).toMatch(/^\[flaky\] +✓ succeeded on attempt 3 \(flaky\) in /m)
    expect(result.stdout).toMatch(/^\[broken\] +✗ failed \(step "always fails" exited 3\) after 2 attempts in /m)
    expect(result.stdout).toMatch(/flaky +succeeded .* flaky: passed on attempt 3/)
    expect(result.stdout).toContain('3 jobs: 2 succeeded (1 flaky), 1 failed; run failed')

    const run = runDirs(dir).at(-1)!
    const record = readJson<RunRecord>(join(run, 'run.json'))
    const flaky = record.jobs.flaky!
    expect(flaky.status).toBe('succeeded')
    expect(flaky.flaky).toBe(true)
    expect(flaky.attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'succeeded'],
    ])
    // Every attempt had a container of its own, and its own steps; the job's are the last attempt's.
    expect(new Set(flaky.attempts.map((a) => a.containerId)).size).toBe(3)
    expect(flaky.attempts[0]!.steps.map((s) => s.status)).toEqual(['succeeded', 'failed'])
    expect(flaky.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded'])
    expect(flaky.containerId).toBe(flaky.attempts[2]!.containerId)
    expect(record.jobs.after!.status).toBe('succeeded')

    const broken = record.jobs.broken!
    expect(broken).toMatchObject({status: 'failed', flaky: false})
    expect(broken.attempts.map((a) => a.status)).toEqual(['failed', 'failed'])

    const events = readLines<{type: string; job?: string; attempt?: number; flaky?: boolean}>(join(run, 'events.jsonl'))
    expect(events.filter((e) => e.type === 'job.retrying' && e.job === 'flaky').map((e) => e.attempt)).toEqual([1, 2])
    expect(events.find((e) => e.type === 'job.finished' && e.job === 'flaky')).toMatchObject({attempt: 3, flaky: true})
    expect(events.filter((e) => e.type === 'step.started' && e.job === 'flaky').map((e) => e.attempt ?? 1)).toEqual([1, 1, 2, 2, 3, 3])

    const log = readFileSync(join(run, 'logs/flaky.log'), 'utf8')
    expect(log).toContain('==> attempt 1 of 3 failed; attempt 2 starts\n')
    expect(log).toContain('attempt 1\n')
    expect(log).toContain('attempt 3\n')

    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8')
    expect(junit).toContain('<property name="orca.flaky" value="true"/>')
    expect(junit).toContain('<property name="orca.attempts" value="3"/>')
    expect(junit.match(/<flakyFailure message="attempt \d: step &quot;passes third&quot; failed \(exit 1\)"/g)).toHaveLength(2)
    expect(junit.match(/<rerunFailure message="attempt 1: step &quot;always fails&quot; failed \(exit 3\)"/g)).toHaveLength(1)

    // The flaky job's success is cached like any other: the next run takes it from the cache.
    const again = await orca(['run', 'flaky', '--output', 'plain'], {cwd: dir, env: NEUTRAL_ENV})
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/\[flaky\] +✓ cached/)
  })
})
