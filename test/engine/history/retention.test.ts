import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {applyRetention, expiredRuns} from '../../../src/engine/history/retention.js'
import {probe, runEvents, tempRunsDir, writeRun} from './fixtures.js'

const DAY = 86_400_000
const now = Date.parse('2026-11-25T12:00:00.000Z')
const run = (id: string, status: 'running' | 'succeeded' | 'failed', ageMs: number) => ({id, status, startedAt: new Date(now - ageMs).toISOString()})

describe('expiredRuns', () => {
  it('keeps the newest maxRuns', () => {
    const runs = [run('c', 'succeeded', 1), run('b', 'failed', 2), run('a', 'succeeded', 3)]
    expect(expiredRuns(runs, {maxRuns: 2}, now)).toEqual(['a'])
  })

  it('removes runs older than maxAge', () => {
    const runs = [run('c', 'succeeded', DAY), run('b', 'failed', 8 * DAY), run('a', 'succeeded', 9 * DAY)]
    expect(expiredRuns(runs, {maxAgeMs: 7 * DAY}, now)).toEqual(['b', 'a'])
  })

  it('never removes a live run, which still counts toward maxRuns', () => {
    const runs = [run('c', 'succeeded', 1), run('b', 'running', 30 * DAY), run('a', 'succeeded', 3)]
    expect(expiredRuns(runs, {maxRuns: 1, maxAgeMs: DAY}, now)).toEqual(['a'])
  })

  it('removes nothing without a policy', () => {
    expect(expiredRuns([run('a', 'succeeded', 100 * DAY)], {}, now)).toEqual([])
  })
})

describe('applyRetention', () => {
  const cleanups: Array<() => void> = []
  afterEach(() => {
    for (const c of cleanups.splice(0)) c()
  })

  it('deletes the directories of expired runs only', async () => {
    const runs = tempRunsDir()
    cleanups.push(runs.cleanup)
    const t = Date.now()
    writeRun(runs.dir, runEvents('20261101T000000000Z-000001', t - 3000, {finished: 'succeeded'}))
    writeRun(runs.dir, runEvents('20261102T000000000Z-000002', t - 2000, {finished: 'failed'}))
    writeRun(runs.dir, runEvents('20261103T000000000Z-000003', t - 1000), {lock: {pid: 9, startTime: '1'}})
    const removed = await applyRetention(runs.dir, {maxRuns: 1}, {probe: probe({9: '1'})})
    expect(removed.sort()).toEqual(['20261101T000000000Z-000001', '20261102T000000000Z-000002'])
    expect(existsSync(join(runs.dir, '20261103T000000000Z-000003'))).toBe(true)
    expect(existsSync(join(runs.dir, '20261101T000000000Z-000001'))).toBe(false)
  })
})
