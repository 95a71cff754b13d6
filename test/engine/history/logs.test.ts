import {appendFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {followRun, LogPrinter} from '../../../src/engine/history/logs.js'
import type {EventBody, OrcaEvent} from '../../../src/engine/records/events.js'
import {probe, runEvents, tempRunsDir, writeRun} from './fixtures.js'

const stamp = (bodies: EventBody[]): OrcaEvent[] =>
  bodies.map((b, i) => ({...b, seq: i + 1, time: new Date(0).toISOString(), runId: 'r'}) as OrcaEvent)

const interleaved = stamp([
  {type: 'step.started', job: 'a', step: 0, name: 'one'},
  {type: 'step.output', job: 'a', step: 0, stream: 'stdout', text: 'a1\na2 no newline'},
  {type: 'step.started', job: 'b', step: 0, name: 'two'},
  {type: 'step.output', job: 'b', step: 0, stream: 'stderr', text: 'b1\n'},
  {type: 'step.output', job: 'a', step: 0, stream: 'stdout', text: ' end\n'},
  {type: 'step.started', job: 'a', step: 1, name: 'three'},
])

function print(events: OrcaEvent[], job?: string): string {
  let out = ''
  const printer = new LogPrinter((t) => (out += t), {job})
  for (const e of events) printer.handle(e)
  printer.end()
  return out
}

describe('LogPrinter', () => {
  it('prefixes every line with its job and keeps lines of different jobs apart', () => {
    expect(print(interleaved)).toBe('[a] ==> one\n[a] a1\n[a] a2 no newline\n[b] ==> two\n[b] b1\n[a]  end\n[a] ==> three\n')
  })

  it('prints one job as its log file holds it', () => {
    expect(print(interleaved, 'a')).toBe('==> one\na1\na2 no newline end\n==> three\n')
  })
})

describe('followRun', () => {
  const cleanups: Array<() => void> = []
  afterEach(() => {
    for (const c of cleanups.splice(0)) c()
  })

  it('streams new events and ends when the run finishes', async () => {
    const runs = tempRunsDir()
    cleanups.push(runs.cleanup)
    const all = runEvents('20261125T100000000Z-aaaaaa', Date.now(), {finished: 'succeeded'})
    const dir = writeRun(runs.dir, all.slice(0, 3), {lock: {pid: 5, startTime: '5'}})
    const seen: string[] = []
    for await (const event of followRun(runs.dir, '20261125T100000000Z-aaaaaa', {pollMs: 10, livenessMs: 20, probe: probe({5: '5'})})) {
      seen.push(event.type)
      if (event.seq === 3) appendFileSync(join(dir, 'events.jsonl'), all.slice(3).map((e) => JSON.stringify(e) + '\n').join(''))
    }
    expect(seen).toEqual(all.map((e) => e.type))
  })

  it('ends a run whose orca process died, recording it as abandoned', async () => {
    const runs = tempRunsDir()
    cleanups.push(runs.cleanup)
    writeRun(runs.dir, runEvents('20261125T100000000Z-bbbbbb', Date.now()), {lock: {pid: 5, startTime: '5'}})
    const seen: OrcaEvent[] = []
    for await (const event of followRun(runs.dir, '20261125T100000000Z-bbbbbb', {pollMs: 10, livenessMs: 20, probe: probe({})})) seen.push(event)
    expect(seen.at(-1)).toMatchObject({type: 'run.finished', status: 'abandoned'})
  })
})
