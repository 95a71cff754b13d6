import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {isSandboxId, newSandboxId, sandboxesDirOf, SandboxRecords, type SandboxRecord} from '../../../src/engine/sandbox/record.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

function store(): SandboxRecords {
  const dir = mkdtempSync(join(tmpdir(), 'orca-sandbox-records-'))
  dirs.push(dir)
  return new SandboxRecords(join(dir, 'sandboxes'))
}

function record(id: string, createdAt: string): SandboxRecord {
  return {id, image: 'busybox:1.36', state: 'running', createdAt, expiresAt: createdAt, ttlMs: 1, limits: {cpus: 1, memoryBytes: 1, pids: 16}, network: 'none', workdir: '/w', envNames: []}
}

describe('SandboxRecords', () => {
  it('writes, reads, lists oldest first and deletes records, creating its folder on the first write', () => {
    const records = store()
    expect(records.list()).toEqual([])
    const [a, b] = [newSandboxId(), newSandboxId()]
    records.put(record(b, '2026-11-29T12:00:01Z'))
    records.put(record(a, '2026-11-29T12:00:00Z'))
    expect(records.list().map((r) => r.id)).toEqual([a, b])
    expect(records.get(a)?.createdAt).toBe('2026-11-29T12:00:00Z')
    records.delete(a)
    expect(records.get(a)).toBeUndefined()
    // Atomic writes leave no temp files behind.
    expect(readdirSync(records.dir)).toEqual([`${b}.json`])
  })

  it('treats a torn or foreign file as no record, and never builds a path from something that is not an id', () => {
    const records = store()
    const id = newSandboxId()
    records.put(record(id, '2026-11-29T12:00:00Z'))
    writeFileSync(join(records.dir, `${id}.json`), '{"id": "sb-')
    writeFileSync(join(records.dir, 'notes.json'), '{}')
    expect(records.list()).toEqual([])
    expect(records.get('../../etc/passwd')).toBeUndefined()
    expect(() => records.put(record('../x', '2026-11-29T12:00:00Z'))).toThrow(/not a sandbox id/)
  })

  it('ids are sb- and 16 hex characters; records live beside the runs folder', () => {
    expect(isSandboxId(newSandboxId())).toBe(true)
    expect(isSandboxId('sb-0123456789abcdeg')).toBe(false)
    expect(sandboxesDirOf('/p/.orca/runs')).toBe('/p/.orca/sandboxes')
  })
})
