import {generateKeyPairSync} from 'node:crypto'
import {chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {manifestDigest, serialiseArtifactManifest, type ArtifactEntry} from '../../../src/engine/artifacts/manifest.js'
import {materialise} from '../../../src/engine/artifacts/materialise.js'
import {keyManifest, keyOf} from '../../../src/engine/cache/key.js'
import {collectGarbage, listEntries, pruneCache} from '../../../src/engine/cache/maintenance.js'
import {ed25519Signer, hmacSigner} from '../../../src/engine/cache/signing.js'
import {keyIdOf} from '../../../src/engine/keys/ed25519.js'
import {CacheStore, CorruptEntryError, type EntryMeta, type PublishInput} from '../../../src/engine/cache/store.js'
import {job} from '../../helpers/pipeline.js'

const dirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'orca-cache-'))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    // Blobs are read-only; their folders are not, so removal works as is.
    rmSync(dir, {recursive: true, force: true})
  }
})

const sha = (text: string | Buffer): string => manifestDigest(text)
const FILES: Record<string, {body: string | Buffer; mode: number}> = {
  'dist/app.txt': {body: 'hello\n', mode: 0o644},
  'dist/blob.bin': {body: Buffer.from([0, 255, 1, 254, 10, 13]), mode: 0o600},
  'dist/sub/run.sh': {body: '#!/bin/sh\necho hi\n', mode: 0o755},
}

/** A job's artifacts (a nested file, an executable, binary content) as collected: content in the store's blobs. */
function artifacts(store: CacheStore, files = FILES): ArtifactEntry[] {
  const entries: ArtifactEntry[] = []
  for (const [path, {body, mode}] of Object.entries(files)) {
    entries.push({path, type: 'file', mode, ...store.blobs.putBytes(Buffer.from(body), (mode & 0o111) !== 0)})
  }
  return entries.sort((a, b) => (a.path < b.path ? -1 : 1))
}

function entryInput(store: CacheStore, name: string, files = FILES, salt = ''): PublishInput {
  const manifest = keyManifest({job: job(name, {env: {SALT: salt}}), imageId: 'sha256:1', envOverrides: {}, inputs: [], needs: {}})
  return {
    key: keyOf(manifest),
    job: name,
    projectDir: '/p',
    runId: 'run-1',
    manifest,
    artifacts: artifacts(store, files),
    output: [{step: 0, stream: 'stdout', text: 'built\n'}],
  }
}

function found(store: CacheStore, key: string): EntryMeta {
  const read = store.read(key)
  if (read.status !== 'found') throw new Error(`expected an entry, got ${JSON.stringify(read)}`)
  return read.meta
}

/** What a dependent gets of an entry, written as files: its checked artifacts, materialised. */
function restore(store: CacheStore, meta: EntryMeta, dest: string): ArtifactEntry[] {
  const entries = store.checkedArtifacts(meta)
  materialise(entries, store.blobs, dest)
  return entries
}

/** Rewrites an entry's manifest as someone with write access to the cache could. */
function forge(store: CacheStore, key: string, change: (meta: EntryMeta) => void): void {
  const file = store.entryFile(key)
  const meta = JSON.parse(readFileSync(file, 'utf8')) as EntryMeta
  change(meta)
  writeFileSync(file, JSON.stringify(meta))
}

/** Every blob file name in the store. */
function blobNames(store: CacheStore): string[] {
  if (!existsSync(store.blobs.dir)) return []
  return readdirSync(store.blobs.dir).flatMap((shard) => readdirSync(join(store.blobs.dir, shard)))
}

describe('CacheStore', () => {
  it('restores artifacts byte for byte with their modes, and the recorded output', () => {
    const store = new CacheStore(tempDir())
    const input = entryInput(store, 'build')
    expect(store.publish(input)).toBe('stored')

    const meta = found(store, input.key)
    const dest = join(tempDir(), 'artifacts/build')
    expect(restore(store, meta, dest).map((f) => f.path)).toEqual(['dist/app.txt', 'dist/blob.bin', 'dist/sub/run.sh'])
    for (const [rel, {body, mode}] of Object.entries(FILES)) {
      expect(readFileSync(join(dest, rel))).toEqual(Buffer.from(body))
      expect(statSync(join(dest, rel)).mode & 0o777).toBe(mode)
    }
    expect(store.readOutput(meta)).toEqual([{step: 0, stream: 'stdout', text: 'built\n'}])
    expect(meta).toMatchObject({runId: 'run-1', artifacts: {count: 3, bytes: 6 + 6 + 18}})
    expect(readdirSync(dirname(dest))).toEqual(['build'])
  })

  it('stores a job without artifacts', () => {
    const store = new CacheStore(tempDir())
    const input = entryInput(store, 'group', {})
    expect(store.publish(input)).toBe('stored')
    expect(store.readArtifacts(found(store, input.key))).toEqual([])
  })

  it('keeps the first entry when the key is published again, and leaves no temp files', () => {
    const store = new CacheStore(tempDir())
    const input = entryInput(store, 'build')
    expect(store.publish(input)).toBe('stored')
    expect(store.publish({...input, runId: 'run-2'})).toBe('exists')
    expect(found(store, input.key).runId).toBe('run-1')
    expect(readdirSync(store.tmpDir)).toEqual([])
  })

  it('stores an unchanged file once across entries, as read-only content named by its digest', () => {
    const store = new CacheStore(tempDir())
    store.publish(entryInput(store, 'a', FILES, 'a'))
    const before = blobNames(store).length
    store.publish(entryInput(store, 'b', FILES, 'b'))
    // The second entry adds its own manifest and key manifest, not one more copy of any file.
    expect(blobNames(store).length - before).toBe(1)
    const run = store.blobs.path(sha('#!/bin/sh\necho hi\n'), true)
    expect(statSync(run).mode & 0o777).toBe(0o555)
    expect(statSync(store.blobs.path(sha('hello\n'))).mode & 0o777).toBe(0o444)
  })

  it('removes an entry whose blob was changed and leaves nothing half restored', () => {
    const store = new CacheStore(tempDir())
    const input = entryInput(store, 'build')
    store.publish(input)
    const blob = store.blobs.path(sha(FILES['dist/blob.bin']!.body as Buffer))
    chmodSync(blob, 0o644)
    writeFileSync(blob, 'tamper')
    const dest = join(tempDir(), 'artifacts/build')
    // A later run (a store of its own: it did not write the blob, so it reads it).
    const later = new CacheStore(store.dir)
    expect(() => restore(later, found(later, input.key), dest)).toThrow(CorruptEntryError)
    expect(existsSync(dirname(dest)) ? readdirSync(dirname(dest)) : []).toEqual([])
    expect(store.read(input.key)).toEqual({status: 'absent'})
    // The next run collects the file again: the damaged blob is replaced, never reused.
    const next = new CacheStore(store.dir)
    expect(next.publish(entryInput(next, 'build'))).toBe('stored')
    restore(next, found(next, input.key), dest)
    expect(readFileSync(join(dest, 'dist/blob.bin'))).toEqual(FILES['dist/blob.bin']!.body)
  })

  it('treats a truncated manifest, a truncated blob or a changed output as damaged', () => {
    const store = new CacheStore(tempDir())
    const input = entryInput(store, 'build')
    store.publish(input)
    const file = store.entryFile(input.key)
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 40))
    expect(store.read(input.key)).toMatchObject({status: 'corrupt'})
    expect(store.read(input.key)).toEqual({status: 'absent'})

    store.publish(input)
    const app = store.blobs.path(sha('hello\n'))
    chmodSync(app, 0o644)
    writeFileSync(app, 'hel')
    expect(() => restore(store, found(store, input.key), join(tempDir(), 'a'))).toThrow(/is not a file of 6 bytes/)

    store.publish(input)
    const forged = store.blobs.putBytes(Buffer.from('{"step":0,"stream":"stdout","text":"forged\\n"}\n'))
    forge(store, input.key, (meta) => (meta.output = {...meta.output, sha256: meta.output.sha256.replace(/^./, (c) => (c === '0' ? '1' : '0'))}))
    expect(() => store.readOutput(found(store, input.key))).toThrow(CorruptEntryError)
    expect(forged.size).toBeGreaterThan(0)
  })

  it('refuses manifests that would write outside the destination or through a link', () => {
    const host = tempDir()
    writeFileSync(join(host, 'secret'), 'host file\n')
    const cases: Array<[string, ArtifactEntry[]]> = [
      ['a ../ path', [{path: '../../escaped.txt', type: 'file', mode: 0o644, size: 6, sha256: sha('hello\n')}]],
      ['an absolute path', [{path: join(host, 'escaped.txt'), type: 'file', mode: 0o644, size: 6, sha256: sha('hello\n')}]],
      ['a link out, then a file through it', [
        {path: 'out', type: 'symlink', target: host},
        {path: 'out/pwned.txt', type: 'file', mode: 0o644, size: 6, sha256: sha('hello\n')},
      ]],
      ['a link climbing out', [{path: 'up', type: 'symlink', target: '../..'}]],
      ['a link out through another link', [
        {path: 'a/b/top', type: 'symlink', target: '../..'},
        {path: 'c', type: 'symlink', target: 'a/b/top/../x'},
      ]],
      ['a file listed twice', [
        {path: 'f', type: 'file', mode: 0o644, size: 6, sha256: sha('hello\n')},
        {path: 'f', type: 'file', mode: 0o644, size: 6, sha256: sha('hello\n')},
      ]],
      ['a setuid mode', [{path: 'f', type: 'file', mode: 0o4755, size: 6, sha256: sha('hello\n')}]],
    ]
    for (const [what, list] of cases) {
      const store = new CacheStore(tempDir())
      const input = entryInput(store, 'build')
      store.publish(input)
      const text = serialiseArtifactManifest(list)
      const ref = store.blobs.putBytes(Buffer.from(text))
      forge(store, input.key, (meta) => (meta.artifacts = {count: list.length, bytes: 6 * list.filter((e) => e.type === 'file').length, manifest: ref}))
      const dest = join(tempDir(), 'run/artifacts/build')
      expect(() => restore(store, found(store, input.key), dest), what).toThrow(CorruptEntryError)
      expect(readdirSync(host), what).toEqual(['secret'])
      expect(existsSync(dest), what).toBe(false)
      expect(store.read(input.key), what).toEqual({status: 'absent'})
    }
  })

  it('never reads a blob, an entry or a shard through a link swapped into the cache', () => {
    const host = tempDir()
    writeFileSync(join(host, 'secret'), 'hello\n') // same bytes as an artifact: only the link could make it pass
    const dir = tempDir()
    // Each run has a store of its own, as orca runs do.
    const run = (): {store: CacheStore; key: string} => {
      const store = new CacheStore(dir)
      const input = entryInput(store, 'build')
      store.publish(input)
      return {store: new CacheStore(dir), key: input.key}
    }

    let {store, key} = run()
    const blob = store.blobs.path(sha('hello\n'))
    rmSync(blob)
    symlinkSync(join(host, 'secret'), blob)
    expect(() => restore(store, found(store, key), join(tempDir(), 'a'))).toThrow(CorruptEntryError)

    ;({store, key} = run())
    expect(lstatSync(blob).isFile()).toBe(true)
    const shard = dirname(blob)
    renameSync(shard, join(host, 'moved'))
    symlinkSync(join(host, 'moved'), shard)
    expect(() => restore(store, found(store, key), join(tempDir(), 'b'))).toThrow(CorruptEntryError)
    rmSync(shard)
    renameSync(join(host, 'moved'), shard)

    ;({store, key} = run())
    const entry = store.entryFile(key)
    renameSync(entry, join(host, 'entry.json'))
    symlinkSync(join(host, 'entry.json'), entry)
    expect(store.read(key)).toMatchObject({status: 'corrupt'})
    expect(lstatSync(join(host, 'entry.json')).isFile()).toBe(true)
  })

  it('never writes through a link at the destination', () => {
    const host = tempDir()
    const store = new CacheStore(tempDir())
    const input = entryInput(store, 'build')
    store.publish(input)
    const dest = join(tempDir(), 'artifacts/build')
    mkdirSync(dirname(dest), {recursive: true})
    symlinkSync(host, dest)
    restore(store, found(store, input.key), dest)
    expect(readdirSync(host)).toEqual([])
    expect(lstatSync(dest).isDirectory()).toBe(true)
  })

  it('prunes least recently used entries first down to the bound, then the blobs no entry uses', () => {
    const store = new CacheStore(tempDir())
    const a = entryInput(store, 'a', FILES, 'a')
    const b = entryInput(store, 'b', {'only-b.txt': {body: 'b only\n', mode: 0o644}}, 'b')
    const c = entryInput(store, 'c', FILES, 'c')
    for (const input of [a, b, c]) store.publish(input)
    const old = new Date(Date.now() - 60_000)
    const older = new Date(Date.now() - 120_000)
    utimesSync(store.entryFile(a.key), older, older)
    utimesSync(store.entryFile(b.key), old, old)
    store.touch(a.key) // restored just now: most recently used
    const bBlob = store.blobs.path(sha('b only\n'))
    // Blobs younger than an hour may belong to an entry being written: age it past that.
    const stale = new Date(Date.now() - 2 * 3_600_000)
    utimesSync(bBlob, stale, stale)
    const size = Math.max(...listEntries(store).map((e) => e.size))
    const removed = pruneCache(store, size * 2)
    expect(removed.map((e) => e.job)).toEqual(['b'])
    expect(listEntries(store).map((e) => e.job).sort()).toEqual(['a', 'c'])
    expect(existsSync(bBlob)).toBe(false)
    expect(existsSync(store.blobs.path(sha('hello\n')))).toBe(true)
    restore(store, found(store, a.key), join(tempDir(), 'a'))
    expect(collectGarbage(store)).toBe(0)
  })
})

describe('CacheStore with a signing key', () => {
  const KEY = 'k'.repeat(40)
  const publish = (store: CacheStore): void => void store.publish(entryInput(store, 'build'))

  it('restores entries signed with its key and ignores signatures when it has none', () => {
    const dir = tempDir()
    const signed = new CacheStore(dir, hmacSigner(KEY))
    const input = entryInput(signed, 'build')
    expect(signed.publish(input)).toBe('stored')
    expect(found(new CacheStore(dir, hmacSigner(KEY)), input.key).signature).toMatchObject({algorithm: 'hmac-sha256'})
    expect(new CacheStore(dir).read(input.key).status).toBe('found')
  })

  it('with Ed25519, a machine holding only the public key restores the writer\'s entries and writes none of its own', () => {
    const dir = tempDir()
    const {privateKey, publicKey} = generateKeyPairSync('ed25519')
    const writer = new CacheStore(dir, ed25519Signer({privateKey, publicKey, keyId: keyIdOf(publicKey)}, []))
    const input = entryInput(writer, 'build')
    expect(writer.publish(input)).toBe('stored')
    const reader = new CacheStore(dir, ed25519Signer(undefined, [publicKey]))
    expect(found(reader, input.key).signature).toMatchObject({algorithm: 'ed25519'})
    const other = entryInput(reader, 'other')
    expect(() => reader.publish(other)).toThrow(/no private key: entries are only read/)
    expect(reader.read(other.key)).toEqual({status: 'absent'})
    // An entry signed by a key the reader does not trust is refused like a bad HMAC.
    const stranger = generateKeyPairSync('ed25519')
    new CacheStore(dir, ed25519Signer({...stranger, keyId: keyIdOf(stranger.publicKey)}, [])).publish(other)
    const read = reader.read(other.key)
    expect(read.status === 'untrusted' && read.reason).toMatch(/signed by a key that is not trusted/)
  })

  it('refuses (and removes) an unsigned entry, one signed with another key, and a changed one', () => {
    const cases: Array<[string, (dir: string, key: string) => void, RegExp]> = [
      ['unsigned', (dir) => publish(new CacheStore(dir)), /not signed/],
      ['another key', (dir) => publish(new CacheStore(dir, hmacSigner('o'.repeat(40)))), /another key/],
      ['changed after signing', (dir, key) => {
        const signed = new CacheStore(dir, hmacSigner(KEY))
        publish(signed)
        forge(signed, key, (meta) => (meta.runId = 'run-forged'))
      }, /does not match/],
      ['a signature copied from another entry', (dir, key) => {
        const signed = new CacheStore(dir, hmacSigner(KEY))
        const other = entryInput(signed, 'other')
        signed.publish(other)
        const signature = found(signed, other.key).signature
        publish(new CacheStore(dir))
        forge(signed, key, (meta) => (meta.signature = signature))
      }, /does not match/],
    ]
    for (const [what, make, reason] of cases) {
      const dir = tempDir()
      const key = entryInput(new CacheStore(dir), 'build').key
      make(dir, key)
      const store = new CacheStore(dir, hmacSigner(KEY))
      const read = store.read(key)
      expect(read.status, what).toBe('untrusted')
      expect(read.status === 'untrusted' && read.reason, what).toMatch(reason)
      expect(store.read(key), what).toEqual({status: 'absent'})
      // The job then runs and its result replaces the entry, signed.
      expect(store.publish(entryInput(store, 'build')), what).toBe('stored')
      expect(store.read(key).status, what).toBe('found')
    }
  })
})
