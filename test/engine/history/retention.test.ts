import {existsSync, linkSync, mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {applyRetention, expiredRuns, retainedRuns, runBytes} from '../../../src/engine/history/retention.js'
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
  it('counts the files a run alone holds, not hard links it shares', () => {
    const runs = tempRunsDir()
    try {
      const dir = join(runs.dir, 'r')
      mkdirSync(join(dir, 'artifacts/build'), {recursive: true})
      writeFileSync(join(dir, 'events.jsonl'), 'x'.repeat(100))
      writeFileSync(join(runs.dir, 'blob'), 'y'.repeat(1000))
      linkSync(join(runs.dir, 'blob'), join(dir, 'artifacts/build/shared.bin'))
      expect(runBytes(dir)).toBe(100)
    } finally {
      runs.cleanup()
    }
  })
})

describe('retainedRuns', () => {
  const cleanups: Array<() => void> = []
  afterEach(() => {
    for (const c of cleanups.splice(0)) c()
  })

  it('weighs a finished run once (later files do not change it) and a running one every time', async () => {
    const runs = tempRunsDir()
    cleanups.push(runs.cleanup)
    const t = Date.now()
    const done = writeRun(runs.dir, runEvents('20261101T000000000Z-000001', t - 2000, {finished: 'failed'}))
    const live = writeRun(runs.dir, runEvents('20261102T000000000Z-000002', t - 1000), {lock: {pid: 9, startTime: '1'}})
    const first = await retainedRuns(runs.dir, probe({9: '1'}))
    writeFileSync(join(done, 'later.txt'), 'z'.repeat(7))
    writeFileSync(join(live, 'later.txt'), 'z'.repeat(7))
    const second = await retainedRuns(runs.dir, probe({9: '1'}))
    expect(second.map((r) => r.status)).toEqual(['running', 'failed'])
    expect(second[1]).toEqual(first[1])
    expect(second[0]!.bytes).toBe(first[0]!.bytes! + 7)
  })

  it('records a dead run as abandoned when it first weighs it, as reading it always did', async () => {
    const runs = tempRunsDir()
    cleanups.push(runs.cleanup)
    writeRun(runs.dir, runEvents('20261102T000000000Z-000002', Date.now() - 1000), {lock: {pid: 9, startTime: '1'}})
    expect((await retainedRuns(runs.dir, probe({}))).map((r) => r.status)).toEqual(['abandoned'])
    expect((await retainedRuns(runs.dir, probe({}))).map((r) => r.status)).toEqual(['abandoned'])
  })

  it('decides exactly as reading every run record would (stamps removed before each pass)', async () => {
    // Two copies of the same history: one keeps its stamps between passes, the other loses them.
    const policies = [{maxRuns: 10}, {maxBytes: 12000}, {maxAgeMs: 3500}, {maxRuns: 2}]
    const stamped = tempRunsDir()
    const plain = tempRunsDir()
    const histories = [stamped, plain]
    for (const h of histories) cleanups.push(h.cleanup)
    const t = Date.now()
    let seed = 7
    const random = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647
    for (let i = 0; i < 12; i++) {
      const id = `202611${String(10 + i).padStart(2, '0')}T000000000Z-${String(i).padStart(6, '0')}`
      const running = i === 11
      const status = random() < 0.3 ? 'failed' : 'succeeded'
      const size = Math.floor(random() * 400)
      for (const h of histories) {
        const dir = writeRun(h.dir, runEvents(id, t - (12 - i) * 1000, running ? {} : {finished: status}), running ? {lock: {pid: 9, startTime: '1'}} : {})
        writeFileSync(join(dir, 'logs', 'work.log'), 'l'.repeat(size))
      }
    }
    await retainedRuns(stamped.dir, probe({9: '1'}))
    for (const policy of policies) {
      for (const id of readdirSync(plain.dir)) rmSync(join(plain.dir, id, '.retained.json'), {force: true})
      const options = {probe: probe({9: '1'}), now: t}
      const removed = await applyRetention(stamped.dir, policy, options)
      expect(removed).toEqual(await applyRetention(plain.dir, policy, options))
      expect(readdirSync(stamped.dir).sort()).toEqual(readdirSync(plain.dir).sort())
      // Each policy removes some runs and keeps others, so each decision is compared.
      expect(removed.length).toBeGreaterThan(0)
      expect(readdirSync(plain.dir).length).toBeGreaterThan(1)
    }
  })
})
