import {readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {killMidTransfer, startS3Server, startTurboServer, type CacheServer} from '../helpers/remote-cache-servers.js'
import {orca, projectsPerTest, readJson, runDirs} from './cli.js'

type RemoteCacheRecord = {lookup?: {result: string; bytes?: number; reason?: string}; upload?: {result: string; bytes: number; blobs: number; reason?: string}}
type JobRecord = {status: string; cache: string | null; warnings: Array<{kind: string; message: string}>; artifacts: {count: number; sha256: string} | null; remoteCache?: RemoteCacheRecord}
type RunRecord = {jobs: Record<string, JobRecord>}

const project = projectsPerTest()
const KEY = 'a'.repeat(64)
const OTHER_KEY = 'b'.repeat(64)

// Random bytes in the artifact: the same manifest digest in another clone means the files came from the remote.
const PIPELINE = `version: 1
image: busybox:1.36
jobs:
  build:
    inputs: ["src/**"]
    network: none
    steps: ["mkdir -p out && cat src/in.txt > out/result.txt && head -c 300000 /dev/urandom > out/noise.bin"]
    artifacts: ["out/**"]
  test:
    needs: [build]
    network: none
    steps: ["cat out/result.txt"]
`

const servers: CacheServer[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop()
})

async function run(dir: string, env: NodeJS.ProcessEnv): Promise<{record: RunRecord; stdout: string; code: number | null}> {
  const result = await orca(['run', '--output', 'plain'], {cwd: dir, env: {ORCA_REMOTE_CACHE_TIMEOUT: '3s', ORCA_REMOTE_CACHE_RETRIES: '1', ...env}})
  expect(result.stderr).not.toContain('    at ')
  const runDir = runDirs(dir).at(-1)!
  return {record: readJson<RunRecord>(join(runDir, 'run.json')), stdout: result.stdout, code: result.code}
}

/** Two clones of one project, each with its own local cache. */
function clones(): [string, string] {
  const files = {'jobs.yml': PIPELINE, 'src/in.txt': 'input\n'}
  return [project(files), project(files)]
}

/** Every file the server stored whose name holds `part`. */
function storedFiles(server: CacheServer, part: string): string[] {
  return readdirSync(server.storage, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile() && join(e.parentPath, e.name).includes(part))
    .map((e) => join(e.parentPath, e.name))
}

// What depends on the backend runs on both; what is the same above it (signatures, read-only, the events) on one each, to keep the suite short.
describe.each([
  ['Turborepo API (turborepo-remote-cache)', startTurboServer, true],
  ['S3 (s3rver)', startS3Server, false],
])('remote cache over the %s', (_name, start, turbo) => {
  const turboOnly = (name: string, body: () => Promise<void>): void => void (turbo && it(name, body))
  const s3Only = (name: string, body: () => Promise<void>): void => void (!turbo && it(name, body))
  async function server(): Promise<CacheServer> {
    const started = await start()
    servers.push(started)
    return started
  }

  it('shares results between two clones with separate local caches: uploaded after success, a remote hit restored as a local one', async () => {
    const remote = await server()
    const [first, second] = clones()
    const made = await run(first, remote.env)
    expect(made.code, made.stdout).toBe(0)
    expect(made.record.jobs.build).toMatchObject({status: 'succeeded', remoteCache: {lookup: {result: 'miss'}, upload: {result: 'uploaded'}}})
    expect(made.record.jobs.build!.remoteCache!.upload!.bytes).toBeGreaterThan(300_000)
    expect(made.stdout).toMatch(/remote cache: 2 misses; 2 uploaded \(2\d\d\.\d KiB\)/)

    // Before running: the plan and explain say the remote holds it (nothing is downloaded).
    const plan = await orca(['run', '--dry-run'], {cwd: second, env: remote.env})
    expect(plan.code, plan.stderr).toBe(0)
    expect(plan.stdout).toMatch(/build .* remote hit +in the remote cache/)
    expect(plan.stdout).toContain('2 cached (2 in the remote cache)')
    const explained = await orca(['explain', 'build'], {cwd: second, env: remote.env})
    expect(explained.stdout).toContain('build: cached in the remote cache')

    const shared = await run(second, remote.env)
    expect(shared.code, shared.stdout).toBe(0)
    expect(shared.record.jobs.build).toMatchObject({status: 'cached', cache: 'hit', remoteCache: {lookup: {result: 'hit'}}})
    expect(shared.record.jobs.build!.artifacts!.sha256).toBe(made.record.jobs.build!.artifacts!.sha256)
    expect(shared.record.jobs.test).toMatchObject({status: 'cached', remoteCache: {lookup: {result: 'hit'}}})
    expect(shared.stdout).toMatch(/\[build\].*from the remote cache/)
    // Now in the second clone's local cache: no remote asked.
    const local = await run(second, remote.env)
    expect(local.record.jobs.build).toMatchObject({status: 'cached'})
    expect(local.record.jobs.build!.remoteCache).toBeNull()
  })

  s3Only('an unchanged file is uploaded once: a second entry sharing it sends only what is new', async () => {
    const remote = await server()
    const [first] = clones()
    const made = await run(first, remote.env)
    const firstBytes = made.record.jobs.build!.remoteCache!.upload!.bytes
    // A change to jobs.yml that leaves the artifact's big file alone would be another key; here the input changes, noise.bin does not exist twice.
    writeFileSync(join(first, 'jobs.yml'), PIPELINE.replace('head -c 300000 /dev/urandom > out/noise.bin', 'head -c 300000 /dev/zero > out/noise.bin'))
    const zeros = await run(first, remote.env)
    writeFileSync(join(first, 'src/in.txt'), 'other input\n')
    const again = await run(first, remote.env)
    expect(again.record.jobs.build!.remoteCache!.upload).toMatchObject({result: 'uploaded'})
    // The 300 kB of zeros were sent with the previous entry: this one sends its small files only.
    expect(zeros.record.jobs.build!.remoteCache!.upload!.bytes).toBeGreaterThan(300_000)
    expect(again.record.jobs.build!.remoteCache!.upload!.bytes).toBeLessThan(firstBytes / 10)
  })

  turboOnly('signed entries: another key or no signature is a miss with a warning, never a restore', async () => {
    const remote = await server()
    const [first, second] = clones()
    expect((await run(first, {...remote.env, ORCA_CACHE_SIGNING_KEY: KEY})).code).toBe(0)
    const foreign = await run(second, {...remote.env, ORCA_CACHE_SIGNING_KEY: OTHER_KEY})
    expect(foreign.record.jobs.build).toMatchObject({status: 'succeeded', cache: 'miss', remoteCache: {lookup: {result: 'untrusted'}}})
    expect(foreign.record.jobs.build!.warnings).toContainEqual(expect.objectContaining({kind: 'cache-untrusted', message: expect.stringContaining('signed with another key')}))
    expect(foreign.stdout).toMatch(/\[build\] +! remote cache entry \w+ was not used: it is signed with another key/)

    const [unsignedWriter, signedReader] = clones()
    await run(unsignedWriter, {...remote.env, ORCA_REMOTE_CACHE_NAMESPACE: 'unsigned'})
    const reader = await run(signedReader, {...remote.env, ORCA_REMOTE_CACHE_NAMESPACE: 'unsigned', ORCA_CACHE_SIGNING_KEY: KEY})
    expect(reader.record.jobs.build).toMatchObject({status: 'succeeded', remoteCache: {lookup: {result: 'untrusted', reason: 'it is not signed'}}})
  })

  s3Only('Ed25519-signed entries: a clone holding only the public key restores them; one signed by a key it does not list is untrusted', async () => {
    const remote = await server()
    const [writer, reader] = clones()
    expect((await orca(['keys', 'generate', '--out', 'keys', '--name', 'ci'], {cwd: writer})).code).toBe(0)
    expect((await orca(['keys', 'generate', '--out', 'keys', '--name', 'stranger'], {cwd: writer})).code).toBe(0)
    const signWith = (name: string) => `cache:\n  signing:\n    ed25519: {privateKeyFile: ${join(writer, 'keys', `${name}.key`)}}\n`
    writeFileSync(join(writer, 'orca.config.yml'), signWith('ci'))
    writeFileSync(join(reader, 'orca.config.yml'), `cache:\n  signing:\n    ed25519: {publicKeyFiles: [${join(writer, 'keys/ci.pub')}]}\n`)
    const made = await run(writer, remote.env)
    expect(made.record.jobs.build).toMatchObject({status: 'succeeded', remoteCache: {upload: {result: 'uploaded'}}})
    const shared = await run(reader, remote.env)
    expect(shared.code, shared.stdout).toBe(0)
    expect(shared.record.jobs.build).toMatchObject({status: 'cached', remoteCache: {lookup: {result: 'hit'}}, warnings: []})
    expect(shared.record.jobs.build!.artifacts!.sha256).toBe(made.record.jobs.build!.artifacts!.sha256)

    const [strangerWriter, strangerReader] = clones()
    writeFileSync(join(strangerWriter, 'orca.config.yml'), signWith('stranger'))
    writeFileSync(join(strangerReader, 'orca.config.yml'), readFileSync(join(reader, 'orca.config.yml')))
    const ns = {...remote.env, ORCA_REMOTE_CACHE_NAMESPACE: 'stranger'}
    expect((await run(strangerWriter, ns)).code).toBe(0)
    const refused = await run(strangerReader, ns)
    expect(refused.record.jobs.build).toMatchObject({status: 'succeeded', cache: 'miss', remoteCache: {lookup: {result: 'untrusted', reason: 'it is signed by a key that is not trusted (cache.signing.ed25519)'}}})
    expect(refused.record.jobs.build!.warnings).toContainEqual(expect.objectContaining({kind: 'cache-untrusted'}))
  })

  it('tampered and truncated content is a miss with a warning; the job runs and its result is correct', async () => {
    const remote = await server()
    const [first, second] = clones()
    const made = await run(first, remote.env)
    const noise = storedFiles(remote, '').filter((f) => statSync(f).size === 300_000)
    expect(noise).toHaveLength(1)
    const bytes = readFileSync(noise[0]!)
    bytes[1000] = bytes[1000]! ^ 0xff
    writeFileSync(noise[0]!, bytes)
    const tampered = await run(second, remote.env)
    expect(tampered.code).toBe(0)
    expect(tampered.record.jobs.build).toMatchObject({status: 'succeeded', cache: 'miss', remoteCache: {lookup: {result: 'damaged'}}})
    expect(tampered.record.jobs.build!.warnings).toContainEqual(expect.objectContaining({kind: 'cache-damaged'}))
    expect(tampered.record.jobs.build!.artifacts!.sha256).not.toBe(made.record.jobs.build!.artifacts!.sha256)

    const [, third] = clones()
    writeFileSync(noise[0]!, bytes.subarray(0, 1000))
    const truncated = await run(third, remote.env)
    expect(truncated.record.jobs.build).toMatchObject({status: 'succeeded', remoteCache: {lookup: {result: expect.stringMatching(/damaged|miss/)}}})
  })

  turboOnly('--output json streams the remote cache events', async () => {
    const remote = await server()
    const [first] = clones()
    const result = await orca(['run', '--output', 'json'], {cwd: first, env: remote.env})
    expect(result.code).toBe(0)
    const events = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as {type: string; op?: string; result?: string; job?: string})
    const remoteEvents = events.filter((e) => e.type === 'cache.remote').map((e) => `${e.job} ${e.op} ${e.result}`)
    expect(remoteEvents.sort()).toEqual(['build lookup miss', 'build upload uploaded', 'test lookup miss', 'test upload uploaded'])
    // The run waits for its uploads: they come before its end.
    expect(events.at(-1)!.type).toBe('run.finished')
  })

  turboOnly('read-only: looks up, never uploads', async () => {
    const remote = await server()
    const [first, second] = clones()
    const readOnly = await run(first, {...remote.env, ORCA_REMOTE_CACHE_READ_ONLY: 'true'})
    expect(readOnly.record.jobs.build!.remoteCache).toEqual({lookup: {result: 'miss'}})
    expect((await run(second, remote.env)).record.jobs.build).toMatchObject({status: 'succeeded', remoteCache: {lookup: {result: 'miss'}}})
  })

  it('a server killed in the middle of a download: the job runs, the run is green with a warning, nothing half-stored is restored', async () => {
    const remote = await server()
    const [first, second] = clones()
    expect((await run(first, remote.env)).code).toBe(0)
    const cut = await killMidTransfer(remote, 'download', 150_000)
    try {
      const result = await run(second, cut.env)
      expect(result.code, result.stdout).toBe(0)
      expect(result.record.jobs.build).toMatchObject({status: 'succeeded', cache: 'miss', remoteCache: {lookup: {result: 'unavailable'}}})
      expect(result.record.jobs.build!.warnings).toContainEqual(expect.objectContaining({kind: 'cache-remote'}))
      expect(result.stdout).toMatch(/\[build\] +! the remote cache could not be read/)
    } finally {
      cut.close()
    }
    // Its local cache holds what the job made, not a half-downloaded entry.
    expect((await run(second, {})).record.jobs.build).toMatchObject({status: 'cached'})
  })

  it('a server killed in the middle of an upload: the run is green with a warning', async () => {
    const remote = await server()
    const [first] = clones()
    const cut = await killMidTransfer(remote, 'upload', 150_000)
    try {
      const result = await run(first, cut.env)
      expect(result.code, result.stdout).toBe(0)
      expect(result.record.jobs.build).toMatchObject({status: 'succeeded', remoteCache: {upload: {result: 'failed'}}})
      expect(result.record.jobs.build!.warnings).toContainEqual(expect.objectContaining({kind: 'cache-remote', message: expect.stringContaining('not uploaded')}))
    } finally {
      cut.close()
    }
  })

  it('a server that is gone: the run is green, with one warning', async () => {
    const remote = await server()
    const [first] = clones()
    remote.kill()
    await new Promise((resolve) => setTimeout(resolve, 200))
    const result = await run(first, remote.env)
    expect(result.code, result.stdout).toBe(0)
    expect(result.record.jobs.build).toMatchObject({status: 'succeeded', remoteCache: {lookup: {result: 'unavailable'}, upload: {result: 'failed'}}})
    expect(result.record.jobs.build!.warnings.filter((w) => w.kind === 'cache-remote').length).toBeGreaterThan(0)
  })
})

describe('connections to the remote opened ahead', () => {
  it('on a fresh runner the run looks its jobs up as before; a run its local cache serves opens none', async () => {
    const dir = project({'jobs.yml': 'version: 1\njobs:\n  a:\n    needs: []\n  b:\n    needs: []\n'})
    // A Turborepo remote that holds nothing; it counts the connections made to it.
    let connections = 0
    const methods: string[] = []
    const server = createServer((request, response) => {
      methods.push(request.method ?? '')
      request.resume()
      request.on('end', () => {
        response.statusCode = request.method === 'PUT' ? 200 : 404
        response.end()
      })
    })
    server.on('connection', () => connections++)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const env = {ORCA_REMOTE_CACHE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, ORCA_REMOTE_CACHE_TOKEN: 't', ORCA_REMOTE_CACHE_TEAM: 'orca-tests'}
      const fresh = await run(dir, env)
      expect(fresh.code, fresh.stdout).toBe(0)
      for (const job of ['a', 'b']) expect(fresh.record.jobs[job]).toMatchObject({status: 'succeeded', remoteCache: {lookup: {result: 'miss'}}})
      expect(methods.length).toBeGreaterThan(0)
      expect(methods.every((method) => method === 'GET')).toBe(true)
      connections = 0
      methods.length = 0
      const cached = await run(dir, env)
      expect(cached.code, cached.stdout).toBe(0)
      for (const job of ['a', 'b']) expect(cached.record.jobs[job]).toMatchObject({status: 'cached'})
      expect({connections, methods}).toEqual({connections: 0, methods: []})
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
