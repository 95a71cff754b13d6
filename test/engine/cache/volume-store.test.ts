import {existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'

import {afterEach, describe, expect, it} from 'vitest'

import {clearCache, collectGarbage, listEntries, pruneCache} from '../../../src/engine/cache/maintenance.js'
import {CacheStore} from '../../../src/engine/cache/store.js'
import {VolumeStore} from '../../../src/engine/cache/volume-store.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

function volumes(): VolumeStore {
  const dir = mkdtempSync(join(tmpdir(), 'orca-volume-store-'))
  dirs.push(dir)
  return new VolumeStore(new CacheStore(dir))
}

async function save(store: VolumeStore, key: string, bytes: number, usedAt: Date): Promise<string> {
  const meta = await store.save({key, volume: `cache-${key[0]}`, path: '/root/.npm', projectDir: '/p', runId: 'r'}, Readable.from([Buffer.alloc(bytes, key[0])]))
  utimesSync(store.entryFile(key), usedAt, usedAt)
  return store.store.blobs.path(meta.tar.sha256)
}

/** Makes a blob old enough for garbage collection to consider it. */
function age(file: string): void {
  const old = new Date(Date.now() - 2 * 60 * 60_000)
  utimesSync(file, old, old)
}

describe('keyed volume entries in the local cache', () => {
  it('are listed with the job entries, pruned least recently used first, and their tars kept while an entry names them', async () => {
    const store = volumes()
    const older = await save(store, 'a'.repeat(64), 3000, new Date(Date.now() - 60_000))
    const newer = await save(store, 'b'.repeat(64), 2000, new Date())
    expect(listEntries(store.store).map((e) => [e.volume, e.job, e.size])).toEqual([
      ['cache-b', null, 2000],
      ['cache-a', null, 3000],
    ])
    age(older)
    age(newer)
    expect(collectGarbage(store.store)).toBe(0)

    const removed = pruneCache(store.store, 2500)
    expect(removed.map((e) => e.volume)).toEqual(['cache-a'])
    expect(store.read('a'.repeat(64)).status).toBe('absent')
    expect(store.read('b'.repeat(64)).status).toBe('found')
    expect(existsSync(older)).toBe(false)
    expect(existsSync(newer)).toBe(true)
  })

  it('a damaged manifest is removed by a prune whatever the size', async () => {
    const store = volumes()
    await save(store, 'a'.repeat(64), 10, new Date())
    writeFileSync(store.entryFile('a'.repeat(64)), '{"format": 3, "kind": "volume"}')
    const [damaged] = listEntries(store.store)
    expect(damaged!.job).toBeNull()
    expect(damaged!.volume).toBeUndefined()
    expect(pruneCache(store.store, 1_000_000)).toHaveLength(1)
    expect(existsSync(store.entryFile('a'.repeat(64)))).toBe(false)
  })

  it('are counted and removed by clearing the cache', async () => {
    const store = volumes()
    await save(store, 'a'.repeat(64), 10, new Date())
    expect(clearCache(store.store)).toBe(1)
    expect(store.read('a'.repeat(64)).status).toBe('absent')
  })
})
