import {createHash} from 'node:crypto'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import tar from 'tar-stream'
import {afterEach, describe, expect, it} from 'vitest'

import {startS3Server, startTurboServer, TURBO_TOKEN, type CacheServer} from '../helpers/remote-cache-servers.js'
import {orca, projectsPerTest, readJson, runDirs} from './cli.js'

type VolumeRecord = {key: string; restored?: {source: string; bytes: number}; saved?: {bytes: number}; upload?: {result: string}}
type JobRecord = {status: string; warnings: Array<{kind: string; message: string}>; volumes?: Record<string, VolumeRecord>}
type RunRecord = {status: string; jobs: Record<string, JobRecord>}

const project = projectsPerTest()

// The job's first step shows what the volume held before it ran; then it leaves random bytes there (as `npm ci` fills npm's cache).
const PIPELINE = `version: 1
image: busybox:1.36
jobs:
  install:
    inputs: ["src/**", package-lock.json]
    network: none
    volumes:
      npm-cache:
        path: /root/.npm
        key: {files: [package-lock.json]}
    steps:
      - "echo found: $(cat /root/.npm/marker 2>/dev/null || echo nothing)"
      - "test -f /root/.npm/marker || (mkdir -p /root/.npm/_cacache && head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \\\\n' > /root/.npm/marker && head -c 200000 /dev/urandom > /root/.npm/_cacache/blob)"
      - "echo holds: $(cat /root/.npm/marker)"
`

const servers: CacheServer[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop()
})

async function server(start = startTurboServer): Promise<CacheServer> {
  const started = await start()
  servers.push(started)
  return started
}

async function run(dir: string, env: Record<string, string>): Promise<{record: RunRecord; stdout: string; code: number | null}> {
  const result = await orca(['run', '--output', 'plain'], {cwd: dir, env: {ORCA_REMOTE_CACHE_TIMEOUT: '3s', ORCA_REMOTE_CACHE_RETRIES: '1', ...env}})
  expect(result.stderr).not.toContain('    at ')
  const runDir = runDirs(dir).at(-1)!
  return {record: readJson<RunRecord>(join(runDir, 'run.json')), stdout: result.stdout, code: result.code}
}

/** What the volume held before the job's first step, as that step printed it. */
function found(stdout: string): string {
  return /\] found: (\S+)/.exec(stdout)?.[1] ?? '(no line)'
}

/** A clone of the project with its own local cache (and, being another folder, its own Docker volume). */
function clone(app: string, lock = '{"lockfileVersion": 3}\n'): string {
  return project({'jobs.yml': PIPELINE, 'package-lock.json': lock, 'src/app.txt': app})
}

describe('keyed volumes over the remote cache (turborepo-remote-cache on loopback)', () => {
  it('a fresh clone starts with the package cache another clone saved; a changed lock file makes a new key, saved again', async () => {
    const remote = await server()
    const first = clone('one\n')
    const made = await run(first, remote.env)
    expect(made.code, made.stdout).toBe(0)
    expect(found(made.stdout)).toBe('nothing')
    const saved = made.record.jobs.install!.volumes!['npm-cache']!
    expect(saved).toMatchObject({saved: {}, upload: {result: 'uploaded'}})
    expect(saved.saved!.bytes).toBeGreaterThan(200_000)
    expect(saved.restored).toBeUndefined()
    expect(made.stdout).toMatch(/volume npm-cache saved/)
    const marker = /\] holds: (\S+)/.exec(made.stdout)?.[1]
    expect(marker).toMatch(/^[0-9a-f]{16}$/)

    // Another app file (a job miss), the same lock file: the job runs and its volume starts warm.
    const second = clone('two\n')
    const warm = await run(second, remote.env)
    expect(warm.code, warm.stdout).toBe(0)
    const restored = warm.record.jobs.install!.volumes!['npm-cache']!
    expect(restored).toMatchObject({key: saved.key, restored: {source: 'remote'}})
    expect(restored.saved).toBeUndefined()
    expect(found(warm.stdout)).toBe(marker)
    expect(warm.stdout).toMatch(/volume npm-cache restored from the remote cache/)

    // A third clone with a changed lock file: another key, nothing to restore, its own entry saved and uploaded.
    const third = clone('three\n', '{"lockfileVersion": 3, "packages": {}}\n')
    const fresh = await run(third, remote.env)
    expect(fresh.code, fresh.stdout).toBe(0)
    expect(found(fresh.stdout)).toBe('nothing')
    const rekeyed = fresh.record.jobs.install!.volumes!['npm-cache']!
    expect(rekeyed.key).not.toBe(saved.key)
    expect(rekeyed).toMatchObject({saved: {}, upload: {result: 'uploaded'}})
    expect(rekeyed.restored).toBeUndefined()
  })

  it('a remote that cannot be reached: the run is green, with a warning, and the volume is saved locally', async () => {
    const dir = clone('one\n')
    const down = await run(dir, {ORCA_REMOTE_CACHE_URL: 'http://127.0.0.1:9', ORCA_REMOTE_CACHE_TOKEN: TURBO_TOKEN, ORCA_REMOTE_CACHE_TEAM: 'orca-tests'})
    expect(down.code, down.stdout).toBe(0)
    const job = down.record.jobs.install!
    expect(job.status).toBe('succeeded')
    expect(job.warnings.some((w) => w.kind === 'volume-cache' && /remote cache/.test(w.message))).toBe(true)
    expect(job.volumes!['npm-cache']!.saved!.bytes).toBeGreaterThan(200_000)
    // orca explain names the volume's key and says the local cache holds its entry.
    const explained = await orca(['explain', 'install'], {cwd: dir})
    expect(explained.code, explained.stderr).toBe(0)
    expect(explained.stdout).toContain(`volume  npm-cache: key ${job.volumes!['npm-cache']!.key.slice(0, 12)}, stored in the local cache (not part of the job's key)`)
  })

  it('a tampered entry on the remote (an archive that climbs out of the volume) is not restored', async () => {
    const remote = await server()
    const first = clone('one\n')
    const made = await run(first, remote.env)
    expect(made.code, made.stdout).toBe(0)
    const key = made.record.jobs.install!.volumes!['npm-cache']!.key

    // Swap the entry's tar for one that writes outside the volume, under a manifest that names it correctly (an unsigned cache).
    const evil = await tarOf([{name: '../../etc/orca-escaped', content: 'escaped\n'}, {name: 'marker', content: 'tampered'}])
    const digest = createHash('sha256').update(evil).digest('hex')
    const base = remote.env.ORCA_REMOTE_CACHE_URL!
    const put = await fetch(`${base}/v8/artifacts/orca-blob-${digest}?teamId=orca-tests`, {method: 'PUT', headers: {authorization: `Bearer ${TURBO_TOKEN}`, 'content-type': 'application/octet-stream'}, body: evil})
    expect(put.ok).toBe(true)
    const manifestFile = storedFiles(remote, `orca-volume-`).find((file) => file.includes(key))!
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {tar: {sha256: string; size: number}}
    manifest.tar = {sha256: digest, size: evil.length}
    writeFileSync(manifestFile, JSON.stringify(manifest))

    const second = clone('two\n')
    const after = await run(second, remote.env)
    expect(after.code, after.stdout).toBe(0)
    expect(found(after.stdout)).toBe('nothing')
    const job = after.record.jobs.install!
    expect(job.volumes?.['npm-cache']?.restored).toBeUndefined()
    expect(job.warnings.some((w) => w.kind === 'volume-cache' && /climbs out/.test(w.message))).toBe(true)
  })
})

/** Every file the server stored whose path holds `part`. */
function storedFiles(remote: CacheServer, part: string): string[] {
  return readdirSync(remote.storage, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile() && join(e.parentPath, e.name).includes(part))
    .map((e) => join(e.parentPath, e.name))
}

async function tarOf(files: Array<{name: string; content: string}>): Promise<Buffer> {
  const pack = tar.pack()
  for (const file of files) pack.entry({name: file.name}, file.content)
  pack.finalize()
  const chunks: Buffer[] = []
  for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
}

describe('keyed volumes over an S3-compatible remote (s3rver on loopback)', () => {
  it('are stored under the namespace\'s volumes/ and restored into a fresh clone', async () => {
    const remote = await server(startS3Server)
    const made = await run(clone('one\n'), remote.env)
    expect(made.code, made.stdout).toBe(0)
    const saved = made.record.jobs.install!.volumes!['npm-cache']!
    expect(saved).toMatchObject({upload: {result: 'uploaded'}})
    // s3rver keeps an object as a few files (content, metadata) under its key.
    expect(storedFiles(remote, `volumes/${saved.key}.json`).length).toBeGreaterThan(0)
    const warm = await run(clone('two\n'), remote.env)
    expect(warm.code, warm.stdout).toBe(0)
    expect(warm.record.jobs.install!.volumes!['npm-cache']).toMatchObject({key: saved.key, restored: {source: 'remote'}})
    expect(found(warm.stdout)).toBe(/\] holds: (\S+)/.exec(made.stdout)?.[1])
  })
})
