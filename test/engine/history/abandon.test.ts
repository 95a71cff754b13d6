import {existsSync, readFileSync, utimesSync} from 'node:fs'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {inspectRun, inspectRuns} from '../../../src/engine/history/abandon.js'
import {parseEventLines} from '../../../src/engine/records/store.js'
import {schemaValidators} from '../records/schemas.js'
import {probe, runEvents, tempRunsDir, writeRun} from './fixtures.js'

const validate = schemaValidators()
const cleanups: Array<() => void> = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})
function runsDir(): string {
  const runs = tempRunsDir()
  cleanups.push(runs.cleanup)
  return runs.dir
}

const ID = '20261125T100000000Z-abcdef'

describe('inspectRun', () => {
  it('records a running run whose orca process is gone as abandoned, in events.jsonl and run.json', async () => {
    const dir = runsDir()
    const start = Date.parse('2026-11-25T10:00:00.000Z')
    const runDir = writeRun(dir, runEvents(ID, start), {lock: {pid: 4242, startTime: '77'}})
    // The lock's last heartbeat came right at the start.
    utimesSync(join(runDir, 'lock.json'), new Date(start), new Date(start))

    const record = await inspectRun(dir, ID, probe({}))

    expect(record.status).toBe('abandoned')
    expect(record.error?.message).toContain('orca process 4242')
    expect(record.jobs.work?.status).toBe('cancelled')
    expect(validate.record(record)).toBe(true)
    const events = parseEventLines(readFileSync(join(runDir, 'events.jsonl'), 'utf8'))
    const last = events.at(-1)!
    expect(last).toMatchObject({type: 'run.finished', status: 'abandoned', seq: 5, runId: ID})
    expect(validate.event(last)).toBe(true)
    // It ended at its last sign of life, not when someone looked.
    expect(last.time).toBe(new Date(start + 300).toISOString())
    expect(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'))).toEqual(record)
    expect(existsSync(join(runDir, 'lock.json'))).toBe(false)

    // A second look changes nothing.
    expect(await inspectRun(dir, ID, probe({}))).toEqual(record)
    expect(parseEventLines(readFileSync(join(runDir, 'events.jsonl'), 'utf8'))).toHaveLength(5)
  })

  it('cuts a torn last line before appending, so the end is readable', async () => {
    const dir = runsDir()
    const runDir = writeRun(dir, runEvents(ID, Date.now()), {lock: {pid: 4242, startTime: '77'}, torn: true})
    await inspectRun(dir, ID, probe({}))
    const text = readFileSync(join(runDir, 'events.jsonl'), 'utf8')
    expect(text).not.toContain('step.out"')
    expect(parseEventLines(text).map((e) => e.type).at(-1)).toBe('run.finished')
  })

  it('leaves a live run and a finished run alone', async () => {
    const dir = runsDir()
    const live = writeRun(dir, runEvents(ID, Date.now()), {lock: {pid: 4242, startTime: '77'}})
    const doneId = '20261125T090000000Z-000000'
    writeRun(dir, runEvents(doneId, Date.now() - 60_000, {finished: 'succeeded'}))

    expect((await inspectRun(dir, ID, probe({4242: '77'}))).status).toBe('running')
    expect(existsSync(join(live, 'lock.json'))).toBe(true)
    expect((await inspectRun(dir, doneId, probe({}))).status).toBe('succeeded')
  })

  it('treats a run whose pid now belongs to another process as abandoned', async () => {
    const dir = runsDir()
    writeRun(dir, runEvents(ID, Date.now()), {lock: {pid: 4242, startTime: '77'}})
    expect((await inspectRun(dir, ID, probe({4242: '999999'}))).status).toBe('abandoned')
  })

  it('lists runs newest first with dead ones abandoned', async () => {
    const dir = runsDir()
    writeRun(dir, runEvents('20261125T080000000Z-111111', Date.now() - 1000, {finished: 'failed'}))
    writeRun(dir, runEvents(ID, Date.now()))
    const records = await inspectRuns(dir, probe({}))
    expect(records.map((r) => [r.id, r.status])).toEqual([
      [ID, 'abandoned'],
      ['20261125T080000000Z-111111', 'failed'],
    ])
  })
})
