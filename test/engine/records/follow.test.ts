import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {OrcaEvent} from '../../../src/engine/records/events.js'
import {followEvents} from '../../../src/engine/records/follow.js'
import {RunStore} from '../../../src/engine/records/store.js'
import {diamondEvents, RUN_ID} from './diamond-events.js'

let runsDir: string
beforeEach(() => {
  runsDir = mkdtempSync(path.join(tmpdir(), 'orca-follow-'))
})
afterEach(() => rmSync(runsDir, {recursive: true, force: true}))

async function collect(iterator: AsyncIterable<OrcaEvent>): Promise<OrcaEvent[]> {
  const events: OrcaEvent[] = []
  for await (const event of iterator) events.push(event)
  return events
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5))

describe('followEvents', () => {
  it('yields the events recorded so far, then new ones, and ends after run.finished', async () => {
    const events = diamondEvents()
    const store = await RunStore.create(runsDir, RUN_ID)
    for (const event of events.slice(0, 10)) store.handle(event)
    const followed = collect(followEvents(runsDir, RUN_ID, {pollMs: 5}))
    for (const event of events.slice(10)) {
      store.handle(event)
      await tick()
    }
    store.close()
    expect(await followed).toEqual(events)
  })

  it('resumes after a given seq', async () => {
    const events = diamondEvents()
    const store = await RunStore.create(runsDir, RUN_ID)
    for (const event of events) store.handle(event)
    store.close()
    expect(await collect(followEvents(runsDir, RUN_ID, {afterSeq: 30}))).toEqual(events.slice(30))
  })

  it('ends at run.finished also when resuming from it or past it (nothing can follow the end)', async () => {
    const events = diamondEvents()
    const store = await RunStore.create(runsDir, RUN_ID)
    for (const event of events) store.handle(event)
    store.close()
    const last = events.at(-1)!.seq
    for (const afterSeq of [last, last + 1, 1e9]) expect(await collect(followEvents(runsDir, RUN_ID, {afterSeq, pollMs: 5}))).toEqual([])
  })

  it('stops quietly when aborted while the run is quiet', async () => {
    const events = diamondEvents()
    const store = await RunStore.create(runsDir, RUN_ID)
    for (const event of events.slice(0, 3)) store.handle(event)
    const controller = new AbortController()
    const followed = collect(followEvents(runsDir, RUN_ID, {signal: controller.signal, pollMs: 5}))
    await tick()
    controller.abort()
    expect(await followed).toEqual(events.slice(0, 3))
    store.close()
  })

  it('rejects an unknown run', async () => {
    await expect(collect(followEvents(runsDir, 'nope'))).rejects.toMatchObject({kind: 'usage'})
  })
})
