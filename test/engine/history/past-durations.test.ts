import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {pastDurations} from '../../../src/engine/history/past-durations.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

function runsDir(runs: Array<{id: string; status: string; durationMs: number; jobs: Record<string, [string, number]>}>): string {
  const dir = mkdtempSync(join(tmpdir(), 'orca-history-'))
  dirs.push(dir)
  for (const run of runs) {
    mkdirSync(join(dir, run.id))
    const jobs = Object.fromEntries(Object.entries(run.jobs).map(([name, [status, durationMs]]) => [name, {status, durationMs}]))
    writeFileSync(join(dir, run.id, 'run.json'), JSON.stringify({id: run.id, status: run.status, durationMs: run.durationMs, jobs}))
  }
  mkdirSync(join(dir, 'not-a-run'))
  return dir
}

describe('pastDurations', () => {
  it('takes the median of successful past runs, per job and for the same set of jobs', async () => {
    const dir = runsDir([
      {id: 'r1', status: 'succeeded', durationMs: 10_000, jobs: {a: ['succeeded', 1000], b: ['succeeded', 5000]}},
      {id: 'r2', status: 'failed', durationMs: 99_000, jobs: {a: ['succeeded', 3000], b: ['failed', 99_000]}},
      {id: 'r3', status: 'succeeded', durationMs: 20_000, jobs: {a: ['succeeded', 2000], b: ['succeeded', 7000]}},
      {id: 'r4', status: 'succeeded', durationMs: 1000, jobs: {a: ['succeeded', 900]}},
    ])
    const past = await pastDurations(dir, ['a', 'b'])
    expect(past.runMs).toBe(15_000)
    expect(past.jobMs).toEqual(
      new Map([
        ['a', 1500],
        ['b', 6000],
      ]),
    )
  })

  it('knows nothing without runs, and only looks at the newest ones', async () => {
    expect(await pastDurations(join(tmpdir(), 'orca-no-such-dir'), ['a'])).toEqual({jobMs: new Map()})
    const dir = runsDir([
      {id: 'r1', status: 'succeeded', durationMs: 1, jobs: {a: ['succeeded', 1]}},
      {id: 'r2', status: 'succeeded', durationMs: 2, jobs: {a: ['succeeded', 2]}},
    ])
    expect((await pastDurations(dir, ['a'], 1)).jobMs.get('a')).toBe(2)
  })
})
