import {utimesSync} from 'node:fs'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {acquireRunLock, readRunLock} from '../../../src/engine/history/lock.js'
import {judgeOwner, runLiveness, STALE_LOCK_MS} from '../../../src/engine/history/liveness.js'
import {HOST, probe, runEvents, tempRunsDir, writeRun} from './fixtures.js'

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})

describe('judgeOwner', () => {
  it('is alive while the pid runs with the recorded start time', () => {
    expect(judgeOwner({pid: 7, startTime: '500', host: HOST}, probe({7: '500'})).alive).toBe(true)
  })

  it('is dead when the pid is gone', () => {
    const verdict = judgeOwner({pid: 7, startTime: '500', host: HOST}, probe({}))
    expect(verdict).toEqual({alive: false, reason: `orca process 7 on ${HOST} is gone`})
  })

  it('is dead when the pid was reused by a process that started later', () => {
    const verdict = judgeOwner({pid: 7, startTime: '500', host: HOST}, probe({7: '9000'}))
    expect(verdict.alive).toBe(false)
    expect(verdict.reason).toContain('another process')
  })

  it('never declares a run of another host dead by its pid, only by a stale lock', () => {
    const now = Date.now()
    const owner = {pid: 7, startTime: '500', host: 'elsewhere'}
    expect(judgeOwner(owner, probe({}, now), now - 60_000).alive).toBe(true)
    expect(judgeOwner(owner, probe({}, now)).alive).toBe(true)
    expect(judgeOwner(owner, probe({}, now), now - STALE_LOCK_MS - 1).alive).toBe(false)
  })

  it('falls back on the heartbeat when the start time cannot be read', () => {
    const now = Date.now()
    const owner = {pid: 7, startTime: 'ms:1', host: HOST}
    const noStartTimes = {...probe({7: 'x'}, now), startTimeOf: () => undefined}
    expect(judgeOwner(owner, noStartTimes, now - 1000).alive).toBe(true)
    expect(judgeOwner(owner, noStartTimes, now - STALE_LOCK_MS - 1).alive).toBe(false)
  })
})

describe('run lock', () => {
  it('is written with this process and removed on release; no lock means not alive', () => {
    const runs = tempRunsDir()
    cleanups.push(runs.cleanup)
    const dir = writeRun(runs.dir, runEvents('20261125T100000000Z-aaaaaa', Date.now()))
    const held = acquireRunLock(dir, '20261125T100000000Z-aaaaaa')
    expect(readRunLock(dir)?.lock).toMatchObject({pid: process.pid, runId: '20261125T100000000Z-aaaaaa'})
    // The real probe: this very process is alive.
    expect(runLiveness(runs.dir, '20261125T100000000Z-aaaaaa').alive).toBe(true)
    held.release()
    held.release()
    expect(readRunLock(dir)).toBeUndefined()
    expect(runLiveness(runs.dir, '20261125T100000000Z-aaaaaa').alive).toBe(false)
  })

  it('goes stale on another host when its heartbeat stops', () => {
    const runs = tempRunsDir()
    cleanups.push(runs.cleanup)
    const dir = writeRun(runs.dir, runEvents('20261125T100000000Z-bbbbbb', Date.now()), {lock: {pid: 1, startTime: '1', host: 'elsewhere'}})
    expect(runLiveness(runs.dir, '20261125T100000000Z-bbbbbb', probe()).alive).toBe(true)
    const old = new Date(Date.now() - STALE_LOCK_MS - 60_000)
    utimesSync(join(dir, 'lock.json'), old, old)
    expect(runLiveness(runs.dir, '20261125T100000000Z-bbbbbb', probe()).alive).toBe(false)
  })
})
