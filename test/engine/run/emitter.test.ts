import {describe, expect, it} from 'vitest'

import {RunEmitter} from '../../../src/engine/run/emitter.js'
import type {OrcaEvent} from '../../../src/engine/records/events.js'

describe('RunEmitter', () => {
  it('numbers events from 1, stamps the run id, and masks secrets in every field but streamed output', () => {
    const events: OrcaEvent[] = []
    const emitter = new RunEmitter('r1', [{handle: (e) => events.push(e)}], ['hunter2', ''])
    emitter.emit({type: 'job.skipped', job: 'a', reason: 'needs hunter2'})
    emitter.emit({type: 'step.output', job: 'a', step: 0, stream: 'stdout', text: 'hunter2 (masked upstream)'})
    emitter.emit({type: 'step.output', job: 'a', step: 0, stream: 'stdout', text: 'hunter2 replayed', replayed: true})
    expect(events.map((e) => [e.seq, e.runId])).toEqual([[1, 'r1'], [2, 'r1'], [3, 'r1']])
    expect(events[0]).toMatchObject({reason: 'needs ***'})
    expect(events[1]).toMatchObject({text: 'hunter2 (masked upstream)'})
    expect(events[2]).toMatchObject({text: '*** replayed'})
    expect(emitter.secrets).toEqual(['hunter2'])
  })

  it('stops feeding a sink that threw, keeps the others, and remembers the first error', () => {
    const seen: number[] = []
    const bug = new Error('reporter bug')
    let calls = 0
    const emitter = new RunEmitter('r', [{handle: () => { calls++; throw bug }}, {handle: (e) => seen.push(e.seq)}], [])
    emitter.emit({type: 'job.skipped', job: 'a', reason: 'x'})
    emitter.emit({type: 'job.skipped', job: 'b', reason: 'x'})
    expect(calls).toBe(1)
    expect(seen).toEqual([1, 2])
    expect(emitter.sinkFailure).toEqual({error: bug})
  })
})
