import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'

import {afterEach, describe, expect, it} from 'vitest'

import type {ArtifactEntry} from '../../../../src/engine/artifacts/manifest.js'
import {keyManifest, keyOf} from '../../../../src/engine/cache/key.js'
import {lookupEntry} from '../../../../src/engine/cache/lookup.js'
import {RemoteError, type RemoteBackend, type RemoteObject} from '../../../../src/engine/cache/remote/backend.js'
import {RemoteCache} from '../../../../src/engine/cache/remote/remote-cache.js'
import {withRetries} from '../../../../src/engine/cache/remote/transfer.js'
import {hmacSigner} from '../../../../src/engine/cache/signing.js'
import {CacheStore} from '../../../../src/engine/cache/store.js'
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

/** An in-memory RemoteBackend (the interface's contract, not a server) that counts what crosses it and can be made to fail. */
class MemoryBackend implements RemoteBackend {
  readonly description = 'memory'
  readonly objects = new Map<string, Buffer>()
  readonly requests: string[] = []
  failing = false
  private name(object: RemoteObject): string {
    return object.kind === 'blob' ? `blob/${object.sha256}` : `entry/${object.namespace}/${object.key}`
  }
  private check(op: string, object: RemoteObject): void {
    this.requests.push(`${op} ${this.name(object)}`)
    if (this.failing) throw new RemoteError('connection refused', true)
  }
  async get(object: RemoteObject): Promise<Readable | undefined> {
    this.check('GET', object)
    const bytes = this.objects.get(this.name(object))
    return bytes && Readable.from([bytes])
  }
  async has(object: RemoteObject): Promise<boolean> {
    this.check('HEAD', object)
    return this.objects.has(this.name(object))
  }
  async put(object: RemoteObject, body: Buffer): Promise<void> {
    this.check('PUT', object)
    this.objects.set(this.name(object), Buffer.from(body))
  }
}

function remoteOf(local: CacheStore, backend: MemoryBackend): RemoteCache {
  return new RemoteCache(local, {backend, namespace: 'ns', readOnly: false, policy: {timeoutMs: 1000, retries: 1, backoffMs: 1}, concurrency: 4})
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
  it('uploads blobs before the manifest, each blob once across entries, and a second machine gets a verified entry', async () => {
    const backend = new MemoryBackend()
    const writer = store()
    const remote = remoteOf(writer, backend)
    const big = 'x'.repeat(10_000)
    const first = publish(writer, 'a', {'big.txt': big, 'a.txt': 'a'})
    const second = publish(writer, 'b', {'big.txt': big, 'b.txt': 'b'})
    const one = await remote.push(first)
    const two = await remote.push(second)
    expect(one).toMatchObject({result: 'uploaded'})
    expect(one.bytes).toBeGreaterThan(10_000)
    // big.txt was sent with the first entry: the second sends its own small files only.
    expect(two.bytes).toBeLessThan(2_000)
    const puts = backend.requests.filter((r) => r.startsWith('PUT'))
    expect(puts.filter((r) => r.includes('entry/'))).toEqual([`PUT entry/ns/${first}`, `PUT entry/ns/${second}`])
    expect(puts.indexOf(`PUT entry/ns/${first}`)).toBeGreaterThan(puts.findIndex((r) => r.startsWith('PUT blob/')))
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
    expect(backend.requests).toEqual([`GET entry/ns/${key}`])
    expect(reader.read(key).status).toBe('absent')
  })

  it('a blob whose bytes do not match its digest is a damaged miss; nothing is adopted locally', async () => {
    const backend = new MemoryBackend()
    const writer = store()
    const key = publish(writer, 'a', {'a.txt': 'the content'})
    await remoteOf(writer, backend).push(key)
    const [name] = [...backend.objects.keys()].filter((n) => n.startsWith('blob/') && backend.objects.get(n)!.toString() === 'the content')
    backend.objects.set(name!, Buffer.from('the conten'))
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
