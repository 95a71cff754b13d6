import {existsSync, linkSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {applyRetention, expiredRuns, runBytes} from '../../../src/engine/history/retention.js'
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

  it('keeps runs newest first while they fit in maxBytes (no older one after), and always the newest finished one', () => {
    const sized = (id: string, status: 'running' | 'succeeded', bytes: number) => ({...run(id, status, 1), bytes})
    const runs = [sized('e', 'running', 10), sized('d', 'succeeded', 50), sized('c', 'succeeded', 30), sized('b', 'succeeded', 5), sized('a', 'succeeded', 1)]
    expect(expiredRuns(runs, {maxBytes: 70}, now)).toEqual(['c', 'b', 'a'])
    expect(expiredRuns([sized('big', 'succeeded', 500), sized('old', 'succeeded', 1)], {maxBytes: 100}, now)).toEqual(['old'])
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

describe('runBytes', () => {
  it('counts the files a run alone holds (not hard links it shares), and remembers a finished run', () => {
    const runs = tempRunsDir()
    try {
      const dir = join(runs.dir, 'r')
      mkdirSync(join(dir, 'artifacts/build'), {recursive: true})
      writeFileSync(join(dir, 'events.jsonl'), 'x'.repeat(100))
      writeFileSync(join(runs.dir, 'blob'), 'y'.repeat(1000))
      linkSync(join(runs.dir, 'blob'), join(dir, 'artifacts/build/shared.bin'))
      expect(runBytes(dir, false)).toBe(100)
      expect(runBytes(dir, true)).toBe(100)
      writeFileSync(join(dir, 'later.txt'), 'z'.repeat(7))
      // Measured once: a finished run does not change.
      expect(runBytes(dir, true)).toBe(100)
      expect(runBytes(dir, false)).toBe(107 + '{"bytes":100}'.length)
    } finally {
      runs.cleanup()
    }
  })
})
