import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'

import {afterEach, describe, expect, it} from 'vitest'

import {RemoteCache} from '../../../../src/engine/cache/remote/remote-cache.js'
import {hmacSigner} from '../../../../src/engine/cache/signing.js'
import {CacheStore} from '../../../../src/engine/cache/store.js'
import {VolumeStore} from '../../../../src/engine/cache/volume-store.js'
import {MemoryBackend} from '../../../helpers/memory-backend.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

const KEY = 'c'.repeat(64)
const SECRET = 'k'.repeat(32)

function volumes(secret: string | null = SECRET): VolumeStore {
  const dir = mkdtempSync(join(tmpdir(), 'orca-remote-volumes-'))
  dirs.push(dir)
  return new VolumeStore(new CacheStore(dir, secret === null ? undefined : hmacSigner(secret)))
}

function remoteOf(local: VolumeStore, backend: MemoryBackend): RemoteCache {
  return new RemoteCache(local.store, {backend, namespace: 'ns', readOnly: false, policy: {timeoutMs: 1000, retries: 1, backoffMs: 1}, concurrency: 4})
}

async function saved(local: VolumeStore, content = 'the volume as a tar'): Promise<void> {
  await local.save({key: KEY, volume: 'npm-cache', path: '/root/.npm', projectDir: '/p', runId: 'r1'}, Readable.from([Buffer.from(content)]))
}

describe('keyed volume entries on a remote cache', () => {
  it('go up as a blob and a signed manifest, and come down into another machine\'s cache, checked', async () => {
    const backend = new MemoryBackend()
    const first = volumes()
    await saved(first)
    expect(await remoteOf(first, backend).pushVolume(first, KEY)).toMatchObject({result: 'uploaded', blobs: 1})
    const second = volumes()
    expect(await remoteOf(second, backend).hasVolume(KEY)).toBe(true)
    const found = await remoteOf(second, backend).lookupVolume(second, KEY)
    expect(found).toMatchObject({result: 'hit', bytes: 'the volume as a tar'.length})
    const local = second.read(KEY)
    expect(local.status).toBe('found')
    if (local.status === 'found') expect(second.store.blobs.readVerified(local.meta.tar).toString()).toBe('the volume as a tar')
    // Uploaded again from another machine: the tar the remote holds is not sent again.
    expect(await remoteOf(second, backend).pushVolume(second, KEY)).toMatchObject({result: 'uploaded', blobs: 0})
  })

  it('a missing entry is a miss; an unsigned or forged one is untrusted; a tar not matching its digest is damaged; none lands locally', async () => {
    const backend = new MemoryBackend()
    expect(await remoteOf(volumes(), backend).lookupVolume(volumes(), KEY)).toMatchObject({result: 'miss'})

    const unsigned = volumes(null)
    await saved(unsigned)
    await remoteOf(unsigned, backend).pushVolume(unsigned, KEY)
    const reader = volumes()
    expect(await remoteOf(reader, backend).lookupVolume(reader, KEY)).toMatchObject({result: 'untrusted', reason: 'it is not signed'})
    expect(reader.read(KEY).status).toBe('absent')

    const signed = volumes()
    await saved(signed)
    await remoteOf(signed, backend).pushVolume(signed, KEY)
    const name = [...backend.objects.keys()].find((n) => n.startsWith('volume/'))!
    const meta = JSON.parse(backend.objects.get(name)!.toString()) as {runId: string}
    backend.objects.set(name, Buffer.from(JSON.stringify({...meta, runId: 'forged'})))
    expect(await remoteOf(reader, backend).lookupVolume(reader, KEY)).toMatchObject({result: 'untrusted', reason: 'its signature does not match its content'})

    const other = volumes()
    await saved(other, 'other content')
    await remoteOf(other, backend).pushVolume(other, KEY)
    const blob = [...backend.objects.keys()].find((n) => n.startsWith('blob/') && backend.objects.get(n)!.toString() === 'other content')!
    backend.objects.set(blob, Buffer.from('tampered!!!!!'))
    expect(await remoteOf(reader, backend).lookupVolume(reader, KEY)).toMatchObject({result: 'damaged'})
    expect(reader.read(KEY).status).toBe('absent')
  })

  it('an unreachable remote is unavailable, never an error', async () => {
    const backend = new MemoryBackend()
    backend.failing = true
    const local = volumes()
    expect(await remoteOf(local, backend).lookupVolume(local, KEY)).toMatchObject({result: 'unavailable'})
    expect(await remoteOf(local, backend).hasVolume(KEY)).toBe('unavailable')
    await saved(local)
    expect(await remoteOf(local, backend).pushVolume(local, KEY)).toMatchObject({result: 'failed'})
  })
})
