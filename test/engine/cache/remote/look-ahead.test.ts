import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {RemoteCache} from '../../../../src/engine/cache/remote/remote-cache.js'
import {RunCache} from '../../../../src/engine/cache/run-cache.js'
import {CacheStore} from '../../../../src/engine/cache/store.js'
import {listProjectFiles} from '../../../../src/engine/plan/project-files.js'
import type {Job} from '../../../../src/engine/pipeline/types.js'
import {MemoryBackend} from '../../../helpers/memory-backend.js'
import {job} from '../../../helpers/pipeline.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'orca-ahead-'))
  dirs.push(dir)
  return dir
}

// Three levels: a, then a2 (needs a), then last (needs a2 and b).
const JOBS = (): Job[] => [
  job('a', {inputs: ['a/**'], artifacts: ['**']}),
  job('b', {inputs: ['b/**'], artifacts: ['**']}),
  job('a2', {needs: ['a'], inputs: [], artifacts: ['**']}),
  job('last', {needs: ['a2', 'b'], inputs: [], artifacts: ['**']}),
]
const imageId = async (ref: string): Promise<string> => `sha256:${ref}`

async function cacheOf(dir: string, backend: MemoryBackend, remakeKeys = false): Promise<{cache: RunCache; store: CacheStore}> {
  const store = new CacheStore(tempDir())
  const remote = new RemoteCache(store, {backend, namespace: 'ns', readOnly: false, policy: {timeoutMs: 1000, retries: 0, backoffMs: 1}, concurrency: 4})
  return {store, cache: new RunCache({store, projectDir: dir, projectFiles: await listProjectFiles(dir), envOverrides: {}, noCache: false, remote, remakeKeys})}
}

/** A project whose every job is in the remote cache (stored by another machine). */
async function filledRemote(): Promise<{dir: string; backend: MemoryBackend}> {
  const dir = tempDir()
  for (const [rel, text] of Object.entries({'a/x.txt': 'ax', 'b/y.txt': 'by'})) {
    mkdirSync(join(dir, rel, '..'), {recursive: true})
    writeFileSync(join(dir, rel), text)
  }
  const backend = new MemoryBackend()
  const {cache, store} = await cacheOf(dir, backend)
  for (const j of JOBS()) {
    const keyed = cache.keyJob(j, await imageId(j.image))!
    const artifacts = Array.from({length: 12}, (_, i) => ({path: `${j.name}/${String(i).padStart(2, "0")}.out`, type: 'file' as const, mode: 0o644, ...store.blobs.putBytes(Buffer.from(`${j.name} ${i}`))}))
    expect(cache.save(keyed, {runId: 'writer', artifacts, output: [{step: 0, stream: 'stdout', text: `${j.name}\n`}]})).toBeUndefined()
    const pushed = await cache.remote!.push(keyed.key)
    expect(pushed, pushed.reason).toMatchObject({result: 'uploaded'})
  }
  backend.requests.length = 0
  return {dir, backend}
}

/**
 * What a fresh runner's jobs find, each in its turn (as job-life keys and looks up), with or without
 * looking ahead; the same job objects both times, as a run's plan gives them.
 */
async function restore(dir: string, backend: MemoryBackend, lookAhead: boolean, remakeKeys = false) {
  const {cache, store} = await cacheOf(dir, backend, remakeKeys)
  const jobs = JOBS()
  if (lookAhead) void cache.lookAhead(jobs, imageId)
  const found = []
  for (const j of jobs) {
    const keyed = cache.keyJob(j, await imageId(j.image))!
    const {durationMs: _took, ...lookup} = (await cache.lookupRemote(keyed))!
    backend.requests.push(`taken ${j.name} ${keyed.key}`)
    const restored = cache.restore(keyed, undefined)!
    found.push({job: j.name, key: keyed.key, manifest: keyed.manifest, inputs: keyed.inputs, use: keyed.use, source: keyed.source, lookup, files: restored.loadArtifacts().map((e) => (e.type === 'file' ? `${e.path}=${store.blobs.readVerified(e).toString()}` : e.path))})
  }
  await cache.settleUploads()
  return found
}

describe('RunCache.lookAhead', () => {
  it('gives every job the same lookup, entry and files as asking in its turn, and asks for the last level before the first is taken', async () => {
    const {dir, backend} = await filledRemote()
    const plain = await restore(dir, backend, false)
    const plainRequests = backend.requests.splice(0)
    const ahead = await restore(dir, backend, true)
    const aheadRequests = backend.requests.splice(0)

    expect(ahead).toEqual(plain)
    expect(ahead.map((f) => [f.job, f.use, f.source, f.lookup.result])).toEqual([
      ['a', 'hit', 'remote', 'hit'],
      ['b', 'hit', 'remote', 'hit'],
      ['a2', 'hit', 'remote', 'hit'],
      ['last', 'hit', 'remote', 'hit'],
    ])
    // The same requests, each once: looking ahead adds none.
    expect([...aheadRequests].filter((r) => !r.startsWith('taken')).sort()).toEqual([...plainRequests].filter((r) => !r.startsWith('taken')).sort())
    const lastKey = plainRequests.find((r) => r.startsWith('taken last'))!.split(' ')[2]
    const entryOfLast = `GET bundle/ns/${lastKey}`
    // In turn, last is asked for after a was taken; ahead, before.
    expect(plainRequests.indexOf(entryOfLast)).toBeGreaterThan(plainRequests.findIndex((r) => r.startsWith('taken a ')))
    expect(aheadRequests.indexOf(entryOfLast)).toBeLessThan(aheadRequests.findIndex((r) => r.startsWith('taken a ')))
  })

  it("takes the key it made ahead in the job's turn: the same keys, manifests and inputs as made anew, the same requests", async () => {
    const {dir, backend} = await filledRemote()
    const anew = await restore(dir, backend, true, true)
    const anewRequests = backend.requests.splice(0)
    const taken = await restore(dir, backend, true)
    expect(taken).toEqual(anew)
    expect(taken.map((f) => f.inputs.length)).toEqual([1, 1, 0, 0])
    expect(backend.requests).toEqual(anewRequests)
  })

  it('makes a key anew when what it is made from changed: an image ID, a need\'s key, a host job\'s key commands', async () => {
    const {dir, backend} = await filledRemote()
    const {cache} = await cacheOf(dir, backend)
    const {cache: plain} = await cacheOf(dir, backend, true)
    const [a, , a2] = JOBS()
    const first = cache.keyJob(a!, 'sha256:one')!
    expect(cache.keyJob(a!, 'sha256:one')!.key).toBe(first.key)
    const other = cache.keyJob(a!, 'sha256:two')!
    expect(other.key).not.toBe(first.key)
    expect(other.key).toBe(plain.keyJob(a!, 'sha256:two')!.key)
    // a2 keys on a's key, which is now the one made with image two.
    expect(cache.keyJob(a2!, 'sha256:x')!.key).toBe(plain.keyJob(a2!, 'sha256:x')!.key)
    cache.keyJob(a!, 'sha256:one')
    plain.keyJob(a!, 'sha256:one')
    expect(cache.keyJob(a2!, 'sha256:x')!.key).toBe(plain.keyJob(a2!, 'sha256:x')!.key)
    const onHost = job('h', {runsOn: 'host', hostKey: ['echo'], inputs: ['a/**']})
    const host = (output: string) => [{command: 'echo', output}]
    const withOne = cache.keyJob(onHost, null, {}, host('1'))!
    expect(cache.keyJob(onHost, null, {}, host('2'))!.key).not.toBe(withOne.key)
    expect(cache.keyJob(onHost, null, {}, host('2'))!.key).toBe(plain.keyJob(onHost, null, {}, host('2'))!.key)
  })

  it('looks nothing up with --no-cache, and leaves a job whose image is not on the engine to its turn', async () => {
    const {dir, backend} = await filledRemote()
    const store = new CacheStore(tempDir())
    const remote = new RemoteCache(store, {backend, namespace: 'ns', readOnly: false, policy: {timeoutMs: 1000, retries: 0, backoffMs: 1}, concurrency: 4})
    const projectFiles = await listProjectFiles(dir)
    await new RunCache({store, projectDir: dir, projectFiles, envOverrides: {}, noCache: true, remote}).lookAhead(JOBS(), imageId)
    expect(backend.requests).toEqual([])
    const cache = new RunCache({store, projectDir: dir, projectFiles, envOverrides: {}, noCache: false, remote})
    await cache.lookAhead(JOBS(), async () => undefined)
    expect(backend.requests).toEqual([])
  })
})
