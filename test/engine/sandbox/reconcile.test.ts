import {describe, expect, it} from 'vitest'

import {CREATING_GRACE_MS, ENDED_RECORD_KEPT_MS, reconcileSandboxes} from '../../../src/engine/sandbox/reconcile.js'
import type {SandboxRecord} from '../../../src/engine/sandbox/record.js'

const NOW = Date.parse('2026-11-29T12:00:00Z')
const iso = (ms: number): string => new Date(ms).toISOString()

function record(id: string, fields: Partial<SandboxRecord> = {}): SandboxRecord {
  return {
    id,
    image: 'busybox:1.36',
    state: 'running',
    createdAt: iso(NOW - 60_000),
    expiresAt: iso(NOW + 60_000),
    ttlMs: 120_000,
    limits: {cpus: 1, memoryBytes: 1, pids: 16},
    network: 'bridge',
    workdir: '/workspace',
    envNames: [],
    containerId: `c-${id}`,
    ...fields,
  }
}

const running = (id: string): {id: string; sandboxId: string; running: boolean} => ({id: `c-${id}`, sandboxId: id, running: true})
const kinds = (actions: ReturnType<typeof reconcileSandboxes>): string[] => actions.map((a) => `${a.kind}:${'record' in a ? a.record.id : a.sandboxId}`)

describe('reconcileSandboxes', () => {
  it('leaves a running sandbox within its time-to-live alone', () => {
    expect(reconcileSandboxes([record('a')], [running('a')], NOW)).toEqual([])
  })

  it('expires a sandbox whose time-to-live has passed, with its container', () => {
    const actions = reconcileSandboxes([record('a', {expiresAt: iso(NOW)})], [running('a')], NOW)
    expect(actions).toEqual([{kind: 'expire', record: expect.objectContaining({id: 'a'}), containerId: 'c-a'}])
  })

  it('marks a live record whose container is missing or stopped as gone', () => {
    expect(kinds(reconcileSandboxes([record('a')], [], NOW))).toEqual(['gone:a'])
    const stopped = reconcileSandboxes([record('b')], [{...running('b'), running: false}], NOW)
    expect(stopped).toEqual([{kind: 'gone', record: expect.objectContaining({id: 'b'}), containerId: 'c-b', reason: 'its container stopped'}])
  })

  it('removes a labelled container that no live record claims (no record, or an ended one)', () => {
    const ended = record('b', {state: 'expired', endedAt: iso(NOW - 1000)})
    expect(kinds(reconcileSandboxes([ended], [running('a'), running('b')], NOW))).toEqual(['orphan:a', 'orphan:b'])
  })

  it('adopts a record left creating whose container runs (the server died in between), and leaves one being made alone', () => {
    const made = record('a', {state: 'creating', containerId: undefined})
    expect(reconcileSandboxes([made], [running('a')], NOW)).toEqual([{kind: 'adopt', record: made, containerId: 'c-a'}])
    expect(reconcileSandboxes([made], [], NOW)).toEqual([])
    expect(reconcileSandboxes([made], [{...running('a'), running: false}], NOW)).toEqual([])
    const stale = record('b', {state: 'creating', containerId: undefined, createdAt: iso(NOW - CREATING_GRACE_MS - 1)})
    expect(kinds(reconcileSandboxes([stale], [], NOW))).toEqual(['gone:b'])
  })

  it('forgets ended records after a day', () => {
    const old = record('a', {state: 'gone', endedAt: iso(NOW - ENDED_RECORD_KEPT_MS)})
    const recent = record('b', {state: 'expired', endedAt: iso(NOW - 1000)})
    expect(kinds(reconcileSandboxes([old, recent], [], NOW))).toEqual(['forget:a'])
  })

  it('expiry wins over everything else: an expired record left creating is expired, not adopted', () => {
    expect(kinds(reconcileSandboxes([record('a', {state: 'creating', expiresAt: iso(NOW - 1)})], [running('a')], NOW))).toEqual(['expire:a'])
  })
})
