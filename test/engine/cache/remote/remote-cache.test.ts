import {chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import type {ArtifactEntry} from '../../../../src/engine/artifacts/manifest.js'
import {materialise} from '../../../../src/engine/artifacts/materialise.js'
import {keyManifest, keyOf} from '../../../../src/engine/cache/key.js'
import {lookupEntry} from '../../../../src/engine/cache/lookup.js'
import {collectGarbage} from '../../../../src/engine/cache/maintenance.js'
import {RemoteError} from '../../../../src/engine/cache/remote/backend.js'
import {RemoteCache} from '../../../../src/engine/cache/remote/remote-cache.js'
import {withRetries} from '../../../../src/engine/cache/remote/transfer.js'
import {hmacSigner} from '../../../../src/engine/cache/signing.js'
import {CacheStore, CorruptEntryError, type EntryMeta} from '../../../../src/engine/cache/store.js'
import {MemoryBackend} from '../../../helpers/memory-backend.js'
import {job} from '../../../helpers/pipeline.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})
function store(signer = hmacSigner('k'.repeat(32))): CacheStore {
  const dir = mkdtempSync(join(tmpdir(), 'orca-remote-'))
  dirs.push(dir)
  return new CacheStore(dir, signer)
}

/** `blobs`: every file on its own; `packs`: manifest and packs apart, as orca sent entries before bundles; `bundle`: the default. */
type Layout = 'blobs' | 'packs' | 'bundle'
function remoteOf(local: CacheStore, backend: MemoryBackend, layout: Layout = 'bundle'): RemoteCache {
  return new RemoteCache(local, {backend, namespace: 'ns', readOnly: false, policy: {timeoutMs: 1000, retries: 1, backoffMs: 1}, concurrency: 4, packs: layout !== 'blobs', bundles: layout === 'bundle'})
}

/** Every restored artifact's path and content, read through the checked path a dependent uses. */
function restoredFiles(local: CacheStore, key: string): Record<string, string> {
  const read = local.read(key)
  if (read.status !== 'found') throw new Error(`entry ${key} is ${read.status}`)
  return Object.fromEntries(local.checkedArtifacts(read.meta).flatMap((e) => (e.type === 'file' ? [[e.path, local.blobs.readVerified(e).toString()]] : [])))
}

/** 40 small files (one of them twice, under two names) and one large one. */
function manyFiles(): Record<string, string> {
  const files: Record<string, string> = Object.fromEntries(Array.from({length: 40}, (_, i) => [`small/f${String(i).padStart(2, '0')}.txt`, `file ${i}\n`]))
  files['small/again.txt'] = 'file 7\n'
  files['large.bin'] = 'L'.repeat(200_000)
  return files
}

/** Stores an entry of `name` with the given files in `local`; returns its key. */
function publish(local: CacheStore, name: string, files: Record<string, string>): string {
  const manifest = keyManifest({job: job(name), imageId: 'sha256:1', envOverrides: {}, inputs: [], needs: {}})
  const artifacts: ArtifactEntry[] = Object.entries(files)
    .map(([path, body]): ArtifactEntry => ({path, type: 'file', mode: 0o644, ...local.blobs.putBytes(Buffer.from(body))}))
    .sort((a, b) => (a.path < b.path ? -1 : 1))
  const key = keyOf(manifest)
  local.publish({key, job: name, projectDir: '/p', runId: 'run-1', manifest, artifacts, output: [{step: 0, stream: 'stdout', text: 'built\n'}]})
  return key
}

describe('RemoteCache', () => {
  it('uploads large blobs before the bundle, each once across entries, and a second machine gets a verified entry', async () => {
    const backend = new MemoryBackend()
    const writer = store()
    const remote = remoteOf(writer, backend)
    const big = 'x'.repeat(100_000)
    const first = publish(writer, 'a', {'big.txt': big, 'a.txt': 'a'})
    const second = publish(writer, 'b', {'big.txt': big, 'b.txt': 'b'})
    const one = await remote.push(first)
    const two = await remote.push(second)
    expect(one).toMatchObject({result: 'uploaded'})
    expect(one.bytes).toBeGreaterThan(100_000)
    // big.txt was sent with the first entry: the second sends its own small files only.
    expect(two.bytes).toBeLessThan(2_000)
    const puts = backend.requests.filter((r) => r.startsWith('PUT'))
    // The large file is a blob, sent once; everything else of an entry is in its bundle.
    expect(puts.filter((r) => r.startsWith('PUT blob/'))).toHaveLength(1)
    expect(puts.filter((r) => !r.startsWith('PUT blob/'))).toEqual([`PUT bundle/ns/${first}`, `PUT bundle/ns/${second}`])
    expect(puts.indexOf(`PUT bundle/ns/${first}`)).toBeGreaterThan(puts.findIndex((r) => r.startsWith('PUT blob/')))
    expect(await remote.push(first)).toMatchObject({result: 'exists', bytes: 0})

    const reader = store()
    const found = await lookupEntry(second, reader, remoteOf(reader, backend))
    expect(found.source).toBe('remote')
    expect(reader.read(second).status).toBe('found')
    expect(reader.checkedArtifacts((found as {meta: Parameters<CacheStore['checkedArtifacts']>[0]}).meta).map((e) => e.path)).toEqual(['b.txt', 'big.txt'])
    expect((await lookupEntry(second, reader)).source).toBe('local')
  })

  it('checks the signature before fetching any content: an entry signed with another key downloads nothing more', async () => {
    const backend = new MemoryBackend()
    const writer = store(hmacSigner('w'.repeat(32)))
    const key = publish(writer, 'a', {'a.txt': 'a'})
    await remoteOf(writer, backend).push(key)
    backend.requests.length = 0
    const reader = store()
    const found = await remoteOf(reader, backend).lookup(key)
    expect(found).toMatchObject({result: 'untrusted', reason: 'it is signed with another key'})
    expect(backend.requests).toEqual([`GET bundle/ns/${key}`])
    expect(reader.read(key).status).toBe('absent')
  })

  it('a blob whose bytes do not match its digest is a damaged miss; nothing is adopted locally', async () => {
    const backend = new MemoryBackend()
    const writer = store()
    const large = 'the content'.repeat(10_000)
    const key = publish(writer, 'a', {'a.txt': large})
    await remoteOf(writer, backend).push(key)
    const [name] = [...backend.objects.keys()].filter((n) => n.startsWith('blob/') && backend.objects.get(n)!.toString() === large)
    backend.objects.set(name!, Buffer.from(large.replace('the', 'THE')))
    const reader = store()
    expect(await remoteOf(reader, backend).lookup(key)).toMatchObject({result: 'damaged'})
    expect(reader.read(key).status).toBe('absent')
  })

  it('an unreachable remote is a miss; after two failures in a row it is left alone for the run', async () => {
    const backend = new MemoryBackend()
    backend.failing = true
    const remote = remoteOf(store(), backend)
    const key = 'c'.repeat(64)
    expect(await remote.lookup(key)).toMatchObject({result: 'unavailable', repeated: false})
    expect(await remote.lookup(key)).toMatchObject({result: 'unavailable', repeated: false})
    const asked = backend.requests.length
    expect(await remote.lookup(key)).toMatchObject({result: 'unavailable', repeated: true})
    expect(backend.requests.length).toBe(asked)
  })
})

describe('RemoteCache: packs of small files', () => {
  it('sends an entry file by file, as manifest and packs, or as a bundle, and each restores the same files, counts and entry', async () => {
    const writer = store()
    const key = publish(writer, 'many', manyFiles())
    const results: Array<{lookup: unknown; files: Record<string, string>; gets: number; puts: string[]}> = []
    for (const layout of ['blobs', 'packs', 'bundle'] as const) {
      const backend = new MemoryBackend()
      expect(await remoteOf(writer, backend, layout).push(key)).toMatchObject({result: 'uploaded'})
      const puts = backend.requests.filter((r) => r.startsWith('PUT'))
      backend.requests.length = 0
      const reader = store()
      const {durationMs: _took, ...lookup} = (await remoteOf(reader, backend, layout).lookup(key)) as {durationMs: number}
      results.push({lookup, files: restoredFiles(reader, key), gets: backend.requests.filter((r) => r.startsWith('GET')).length, puts})
    }
    const [plain, packed, bundled] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]]
    expect(packed.lookup).toEqual(plain.lookup)
    expect(bundled.lookup).toEqual(plain.lookup)
    expect(packed.lookup).toMatchObject({result: 'hit', blobs: 3 + 41})
    expect(packed.files).toEqual(plain.files)
    expect(bundled.files).toEqual(plain.files)
    expect(bundled.files['small/again.txt']).toBe('file 7\n')
    // Plain: the entry manifest, its 3 listing blobs, 40 small and 1 large file. Packed: the listing is one GET, the 40 small files another.
    expect(plain.gets).toBe(1 + 3 + 41)
    expect(packed.gets).toBe(1 + 1 + 1 + 1)
    // Bundled: the bundle (manifest, listing, small files), then the large file.
    expect(bundled.gets).toBe(1 + 1)
    expect(packed.puts.filter((r) => r.startsWith('PUT pack/'))).toHaveLength(2)
    // Packed, every file is a blob of its own as well, for readers without packs.
    expect(packed.puts.filter((r) => r.startsWith('PUT blob/'))).toHaveLength(3 + 41)
    expect(packed.puts.at(-1)).toMatch(/^PUT entry\//)
    expect(bundled.puts).toEqual([expect.stringMatching(/^PUT blob\//), `PUT bundle/ns/${key}`])
  })

  it('restores a small entry in one request: its bundle', async () => {
    const backend = new MemoryBackend()
    const writer = store()
    const key = publish(writer, 'one', {'a.txt': 'a'})
    await remoteOf(writer, backend).push(key)
    backend.requests.length = 0
    const reader = store()
    expect(await remoteOf(reader, backend).lookup(key)).toMatchObject({result: 'hit', blobs: 4})
    expect(backend.requests).toEqual([`GET bundle/ns/${key}`])
    expect(restoredFiles(reader, key)).toEqual({'a.txt': 'a'})
  })

  it('reads an entry sent as manifest and packs (by an orca from before bundles): manifest, listing, file', async () => {
    const backend = new MemoryBackend()
    const writer = store()
    const key = publish(writer, 'one', {'a.txt': 'a'})
    await remoteOf(writer, backend, 'packs').push(key)
    backend.requests.length = 0
    const reader = store()
    expect(await remoteOf(reader, backend).has(key)).toBe(true)
    expect(await remoteOf(reader, backend).lookup(key)).toMatchObject({result: 'hit', blobs: 4})
    expect(backend.requests.filter((r) => r.startsWith('GET')).map((r) => r.split('/')[0])).toEqual(['GET bundle', 'GET entry', 'GET pack', 'GET blob'])
    expect(restoredFiles(reader, key)).toEqual({'a.txt': 'a'})
    // And it is not sent again as a bundle.
    expect(await remoteOf(writer, backend).push(key)).toMatchObject({result: 'exists'})
  })

  it('a bundle whose bytes were changed, or cut short, is a damaged miss: every file in it is checked against its digest', async () => {
    const writer = store()
    const key = publish(writer, 'many', manyFiles())
    for (const change of [(b: Buffer) => (b[b.length - 5] = b[b.length - 5]! ^ 1), (b: Buffer) => b.subarray(0, b.length - 1)]) {
      const backend = new MemoryBackend()
      await remoteOf(writer, backend).push(key)
      const name = `bundle/ns/${key}`
      const bytes = Buffer.from(backend.objects.get(name)!)
      const changed = change(bytes)
      backend.objects.set(name, typeof changed === 'number' ? bytes : changed)
      const reader = store()
      expect(await remoteOf(reader, backend).lookup(key)).toMatchObject({result: 'damaged'})
      expect(reader.read(key).status).toBe('absent')
      expect(reader.blobs.packFiles()).toEqual([])
    }
  })

  it('reads an entry sent without a pack (by an older orca) file by file', async () => {
    const backend = new MemoryBackend()
    const writer = store()
    const key = publish(writer, 'many', manyFiles())
    await remoteOf(writer, backend, 'blobs').push(key)
    const reader = store()
    expect(await remoteOf(reader, backend).lookup(key)).toMatchObject({result: 'hit', blobs: 44})
    expect(restoredFiles(reader, key)).toEqual(restoredFiles(writer, key))
  })

  it('an orca that reads no packs reads an entry sent with one, file by file', async () => {
    const backend = new MemoryBackend()
    const writer = store()
    const key = publish(writer, 'many', manyFiles())
    await remoteOf(writer, backend, 'packs').push(key)
    const reader = store()
    expect(await remoteOf(reader, backend, 'blobs').lookup(key)).toMatchObject({result: 'hit', blobs: 44})
    expect(restoredFiles(reader, key)).toEqual(restoredFiles(writer, key))
  })

  it('a pack whose bytes were changed is a damaged miss: every file in it is still checked against its digest', async () => {
    const backend = new MemoryBackend()
    const writer = store()
    const key = publish(writer, 'many', manyFiles())
    await remoteOf(writer, backend, 'packs').push(key)
    const name = [...backend.objects.keys()].find((n) => n.startsWith('pack/'))!
    const bytes = Buffer.from(backend.objects.get(name)!)
    bytes[3] = bytes[3]! ^ 1
    backend.objects.set(name, bytes)
    const reader = store()
    expect(await remoteOf(reader, backend).lookup(key)).toMatchObject({result: 'damaged'})
    expect(reader.read(key).status).toBe('absent')
  })
})

describe('RemoteCache: a pack lands as one local file', () => {
  /** 30 small files (every third executable), a link among them and one large file. */
  function mixedEntry(local: CacheStore): string {
    const manifest = keyManifest({job: job('mixed'), imageId: 'sha256:1', envOverrides: {}, inputs: [], needs: {}})
    const artifacts: ArtifactEntry[] = [
      ...Array.from({length: 30}, (_, i): ArtifactEntry => {
        const mode = i % 3 === 0 ? 0o755 : 0o644
        return {path: `bin/f${String(i).padStart(2, '0')}`, type: 'file', mode, ...local.blobs.putBytes(Buffer.from(`#!/bin/sh\necho ${i}\n`), (mode & 0o111) !== 0)}
      }),
      {path: 'bin/latest', type: 'symlink', target: 'f29'} as ArtifactEntry,
      {path: 'large.bin', type: 'file', mode: 0o644, ...local.blobs.putBytes(Buffer.from('L'.repeat(100_000)))} as ArtifactEntry,
    ].sort((a, b) => (a.path < b.path ? -1 : 1))
    const key = keyOf(manifest)
    local.publish({key, job: 'mixed', projectDir: '/p', runId: 'run-1', manifest, artifacts, output: [{step: 0, stream: 'stdout', text: 'built\n'}]})
    return key
  }

  /** The tree a restore gives a dependent: every path with its type, mode and content or link target. */
  function restoredTree(local: CacheStore, key: string): Record<string, string> {
    const read = local.read(key)
    if (read.status !== 'found') throw new Error(`entry ${key} is ${read.status}`)
    const dir = join(mkdtempSync(join(tmpdir(), 'orca-remote-tree-')), 'out')
    dirs.push(dirname(dir))
    materialise(local.checkedArtifacts(read.meta), local.blobs, dir)
    const tree: Record<string, string> = {}
    const walk = (rel: string): void => {
      for (const name of readdirSync(join(dir, rel)).sort()) {
        const file = join(dir, rel, name)
        const stat = lstatSync(file)
        if (stat.isDirectory()) walk(join(rel, name))
        else tree[join(rel, name)] = stat.isSymbolicLink() ? `link ${readlinkSync(file)}` : `${(stat.mode & 0o777).toString(8)} ${readFileSync(file, 'utf8').length}`
      }
    }
    walk('')
    return tree
  }

  // Blobs are spread over two-character folders; local packs are files of one folder.
  const filesUnder = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).flatMap((shard) => readdirSync(join(dir, shard))) : [])
  const packsIn = (root: string): string[] => (existsSync(join(root, 'packs')) ? readdirSync(join(root, 'packs')) : [])

  it('writes one file for the small files, not one each, and restores the same tree (modes, links), entry and counts as the plain path', async () => {
    const writer = store()
    const key = mixedEntry(writer)
    const backend = new MemoryBackend()
    await remoteOf(writer, backend, 'packs').push(key)
    const bundles = new MemoryBackend()
    await remoteOf(writer, bundles).push(key)
    const plain = store()
    const packed = store()
    const bundled = store()
    const {durationMs: _a, ...plainLookup} = (await remoteOf(plain, backend, 'blobs').lookup(key)) as {durationMs: number}
    const {durationMs: _b, ...packedLookup} = (await remoteOf(packed, backend).lookup(key)) as {durationMs: number}
    const {durationMs: _c, ...bundledLookup} = (await remoteOf(bundled, bundles).lookup(key)) as {durationMs: number}
    expect(packedLookup).toEqual(plainLookup)
    expect(bundledLookup).toEqual(plainLookup)
    expect(packedLookup).toMatchObject({result: 'hit', blobs: 3 + 31})
    expect(packsIn(packed.root)).toHaveLength(1)
    expect(packsIn(bundled.root)).toHaveLength(1)
    // Packed: the listing (3) and the large file are blobs; the 30 small files are in the pack until read.
    expect(filesUnder(packed.blobs.dir)).toHaveLength(4)
    // Bundled: the listing is in the local pack too; only the large file is a blob.
    expect(filesUnder(bundled.blobs.dir)).toHaveLength(1)
    expect(filesUnder(plain.blobs.dir)).toHaveLength(3 + 31)
    expect(restoredTree(bundled, key)).toEqual(restoredTree(plain, key))
    expect(restoredTree(packed, key)).toEqual(restoredTree(plain, key))
    expect(restoredTree(packed, key)).toEqual(restoredTree(writer, key))
    expect(restoredTree(packed, key)['bin/f03']).toMatch(/^755 /)
    expect(restoredTree(packed, key)['bin/f04']).toMatch(/^644 /)
    expect(restoredTree(packed, key)['bin/latest']).toBe('link f29')
  })

  it('a local pack changed after it landed makes the entry a damaged miss when read, never a wrong file', async () => {
    const writer = store()
    const key = mixedEntry(writer)
    const backend = new MemoryBackend()
    await remoteOf(writer, backend).push(key)
    const reader = store()
    expect(await remoteOf(reader, backend).lookup(key)).toMatchObject({result: 'hit'})
    const packsDir = join(reader.root, 'packs')
    const file = join(packsDir, readdirSync(packsDir)[0]!)
    const bytes = readFileSync(file)
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 1
    chmodSync(file, 0o644)
    writeFileSync(file, bytes)
    const later = new CacheStore(dirname(reader.root), reader.signer)
    const read = later.read(key)
    expect(read.status).toBe('found')
    expect(() => later.checkedArtifacts((read as {meta: EntryMeta}).meta)).toThrow(CorruptEntryError)
    expect(later.read(key).status).toBe('absent')
  })

  it('garbage collection keeps a local pack while an entry names its files and removes it after', async () => {
    const writer = store()
    const key = mixedEntry(writer)
    const backend = new MemoryBackend()
    await remoteOf(writer, backend).push(key)
    const reader = store()
    await remoteOf(reader, backend).lookup(key)
    const packsDir = join(reader.root, 'packs')
    const file = join(packsDir, readdirSync(packsDir)[0]!)
    const old = new Date(Date.now() - 2 * 60 * 60_000)
    utimesSync(file, old, old)
    collectGarbage(reader)
    expect(existsSync(file)).toBe(true)
    reader.discard(key)
    collectGarbage(reader)
    expect(existsSync(file)).toBe(false)
  })
})

describe('RemoteCache: looked up ahead', () => {
  it('fetchEntry downloads the content but leaves the entry out of the local cache until lookup takes it, with the same result', async () => {
    const backend = new MemoryBackend()
    const writer = store()
    const key = publish(writer, 'a', {'a.txt': 'a', 'b.txt': 'b'})
    await remoteOf(writer, backend).push(key)
    const plainReader = store()
    const {durationMs: _plainTook, ...plain} = await remoteOf(plainReader, backend).lookup(key)

    const reader = store()
    const remote = remoteOf(reader, backend)
    const ahead = remote.fetchEntry(key)
    await ahead
    expect(reader.read(key).status).toBe('absent')
    const {durationMs: _took, ...taken} = await remote.lookup(key, ahead)
    expect(taken).toEqual(plain)
    expect(restoredFiles(reader, key)).toEqual(restoredFiles(plainReader, key))
  })

  it('an unreachable remote found by lookups made ahead is said once', async () => {
    const backend = new MemoryBackend()
    backend.failing = true
    const remote = remoteOf(store(), backend)
    const aheads = ['c', 'd', 'e'].map((c) => remote.fetchEntry(c.repeat(64)))
    const found = await Promise.all(aheads.map((ahead, i) => remote.lookup(['c', 'd', 'e'][i]!.repeat(64), ahead)))
    expect(found.map((f) => f.result)).toEqual(['unavailable', 'unavailable', 'unavailable'])
    expect(found.map((f) => (f as {repeated: boolean}).repeated)).toEqual([false, true, true])
  })
})

describe('withRetries', () => {
  it('tries a transport failure again, at most `retries` more times', async () => {
    let tries = 0
    await expect(withRetries({timeoutMs: 1000, retries: 2, backoffMs: 1}, async () => {
      tries++
      throw new RemoteError('reset', true)
    })).rejects.toThrow('reset')
    expect(tries).toBe(3)
  })

  it('does not retry a refusal (a 4xx)', async () => {
    let tries = 0
    await expect(withRetries({timeoutMs: 1000, retries: 2, backoffMs: 1}, async () => {
      tries++
      throw new RemoteError('HTTP 403', false)
    })).rejects.toThrow('403')
    expect(tries).toBe(1)
  })

  it('aborts an attempt that makes no progress for the timeout', async () => {
    const started = Date.now()
    await expect(withRetries({timeoutMs: 50, retries: 0, backoffMs: 1}, (deadline) => new Promise((_, reject) => deadline.signal.addEventListener('abort', () => reject(new Error('aborted')))))).rejects.toThrow('no progress for 50 ms')
    expect(Date.now() - started).toBeLessThan(1000)
  })
})
