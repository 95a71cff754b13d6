import {createHash} from 'node:crypto'
import {chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {CACHE_FORMAT} from '../../src/engine/cache/format.js'
import {orca, projectsPerTest, readJson, runDirs} from '../e2e/cli.js'
import {checkRunDirs, symlinksUnder} from './support.js'
import {tally} from './tally.js'

// Someone with write access to the cache directory (a poisoned CI cache, a shared disk) edits it
// between runs. Each edit must make the entry a miss, never a wrong or escaped file.

const projects = projectsPerTest()
let host: string
let secretFile: string
const MARKER = `host-secret-${process.pid}-${Date.now()}`
const BUILT = 'built by the job\n'
const KEY = 'f'.repeat(64)

beforeAll(() => {
  host = mkdtempSync(join(tmpdir(), 'orca-faults-cache-host-'))
  secretFile = join(host, 'secret.txt')
  writeFileSync(secretFile, `${MARKER}\n`)
})
afterAll(() => rmSync(host, {recursive: true, force: true}))

function project(): string {
  return projects({
    'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  build:
    inputs: []
    network: none
    steps: ["mkdir -p out && printf '${BUILT.replace('\n', '\\n')}' > out/result.txt"]
    artifacts: ["out/**"]
  check:
    needs: [build]
    inputs: []
    network: none
    cache: false
    steps: ["cat out/result.txt"]
`,
  })
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex')
const cacheRoot = (dir: string): string => join(dir, `.orca/cache/v${CACHE_FORMAT}`)
const blobPath = (dir: string, content: string): string => join(cacheRoot(dir), 'blobs', sha(content).slice(0, 2), sha(content))

function entryFile(dir: string): string {
  const entries = join(cacheRoot(dir), 'entries')
  const [name] = readdirSync(entries)
  return join(entries, name!)
}

/** Runs `build` and `check` (which always runs, so build's artifacts are read); returns build's record and what check printed. */
async function build(dir: string, env: NodeJS.ProcessEnv = {}): Promise<{cache: string; warnings: Array<{kind: string}>; checked: string}> {
  const result = await orca(['run', '--output', 'plain'], {cwd: dir, env})
  expect(result.code, result.stdout + result.stderr).toBe(0)
  const run = runDirs(dir).at(-1)!
  const record = readJson<{jobs: {build: {cache: string; warnings: Array<{kind: string}>}}}>(join(run, 'run.json'))
  return {...record.jobs.build, checked: readFileSync(join(run, 'logs/check.log'), 'utf8')}
}

/** The job ran (a miss, with a warning of the given kind) and its dependent got the right file; the next run is a hit. */
async function expectRebuilt(dir: string, kind: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const missed = await build(dir, env)
  expect(missed.cache).toBe('miss')
  expect(missed.warnings.map((w) => w.kind)).toEqual([kind])
  expect(missed.checked).toContain(BUILT)
  const hit = await build(dir, env)
  expect(hit.cache).toBe('hit')
  expect(hit.checked).toContain(BUILT)
}

function expectHostUntouched(dir: string): void {
  expect(readFileSync(secretFile, 'utf8')).toBe(`${MARKER}\n`)
  expect(readdirSync(host).sort()).toEqual(['secret.txt'])
  for (const run of runDirs(dir)) {
    expect(symlinksUnder(run)).toEqual([])
    for (const entry of readdirSync(run, {recursive: true, withFileTypes: true})) {
      if (entry.isFile()) expect(readFileSync(join(entry.parentPath, entry.name), 'utf8')).not.toContain(MARKER)
    }
  }
}

/** Rewrites the entry's artifact manifest (as a blob under its digest) and points the entry at it. */
function forgeArtifacts(dir: string, files: object[], bytes: number): void {
  const text = `{"format":1,"files":[\n${files.map((f) => JSON.stringify(f)).join(',\n')}\n]}\n`
  const blob = blobPath(dir, text)
  mkdirSync(dirname(blob), {recursive: true})
  writeFileSync(blob, text)
  const meta = JSON.parse(readFileSync(entryFile(dir), 'utf8')) as {artifacts: object}
  meta.artifacts = {count: files.length, bytes, manifest: {sha256: sha(text), size: Buffer.byteLength(text)}}
  writeFileSync(entryFile(dir), JSON.stringify(meta))
}

describe('a cache directory edited between runs', () => {
  it('a tampered blob (same size, other bytes) is a miss, rebuilt, never restored', async () => {
    const dir = project()
    await build(dir)
    const blob = blobPath(dir, BUILT)
    chmodSync(blob, 0o644)
    writeFileSync(blob, 'X'.repeat(BUILT.length))
    await expectRebuilt(dir, 'cache-damaged')
    expect(readFileSync(blob, 'utf8')).toBe(BUILT)
    tally('cache entries tampered')
  })

  it('a manifest pointing through a symlink, or a link out of the artifacts, is a miss and writes nothing outside', async () => {
    const dir = project()
    await build(dir)
    const file = {path: 'out/pwned.txt', type: 'file', mode: 0o644, size: BUILT.length, sha256: sha(BUILT)}
    forgeArtifacts(dir, [{path: 'out', type: 'symlink', target: host}, file], BUILT.length)
    await expectRebuilt(dir, 'cache-damaged')
    expectHostUntouched(dir)

    forgeArtifacts(dir, [{path: 'out/result.txt', type: 'symlink', target: secretFile}], 0)
    await expectRebuilt(dir, 'cache-damaged')
    forgeArtifacts(dir, [{path: 'out/up', type: 'symlink', target: '../../../..'}], 0)
    await expectRebuilt(dir, 'cache-damaged')
    forgeArtifacts(dir, [{...file, path: '../../../../escaped.txt'}], BUILT.length)
    await expectRebuilt(dir, 'cache-damaged')
    for (let up = dir, i = 0; i < 4; i++, up = dirname(up)) expect(existsSync(join(up, 'escaped.txt'))).toBe(false)
    expectHostUntouched(dir)
    tally('cache entries tampered', 4)
  })

  it('a symlink swapped in for a blob, a blob folder or an entry is never followed', async () => {
    const dir = project()
    await build(dir)
    // The host file has the blob's very bytes: only refusing the link keeps it out.
    const twin = join(host, 'twin.txt')
    writeFileSync(twin, BUILT)
    const blob = blobPath(dir, BUILT)
    rmSync(blob)
    symlinkSync(twin, blob)
    await expectRebuilt(dir, 'cache-damaged')

    // A blob folder swapped for a link: never read through (a miss), and replaced by a real folder
    // when the job's result is stored again; what the link pointed at is left as it was.
    const shard = dirname(blobPath(dir, BUILT))
    const moved = join(host, 'shard')
    renameSync(shard, moved)
    symlinkSync(moved, shard)
    const before = readdirSync(moved).sort()
    await expectRebuilt(dir, 'cache-damaged')
    expect(lstatSync(shard).isDirectory()).toBe(true)
    expect(readdirSync(moved).sort()).toEqual(before)
    rmSync(moved, {recursive: true, force: true})

    const entry = entryFile(dir)
    renameSync(entry, join(host, 'entry.json'))
    symlinkSync(join(host, 'entry.json'), entry)
    await expectRebuilt(dir, 'cache-damaged')
    expect(existsSync(join(host, 'entry.json'))).toBe(true)
    rmSync(join(host, 'twin.txt'))
    rmSync(join(host, 'entry.json'))
    expectHostUntouched(dir)
    tally('cache entries tampered', 3)
  })

  it('an unsigned entry, when signing is on, is a miss with a warning and is replaced by a signed one', async () => {
    const dir = project()
    await build(dir)
    const signed = {ORCA_CACHE_SIGNING_KEY: KEY}
    await expectRebuilt(dir, 'cache-untrusted', signed)
    expect(JSON.parse(readFileSync(entryFile(dir), 'utf8'))).toMatchObject({signature: {algorithm: 'hmac-sha256'}})
    // A forged field under a kept signature is caught too.
    const meta = JSON.parse(readFileSync(entryFile(dir), 'utf8')) as {runId: string}
    meta.runId = 'forged'
    writeFileSync(entryFile(dir), JSON.stringify(meta))
    await expectRebuilt(dir, 'cache-untrusted', signed)
    tally('cache entries tampered', 2)
  })

  it('a truncated entry or blob is a miss, rebuilt', async () => {
    const dir = project()
    await build(dir)
    writeFileSync(entryFile(dir), readFileSync(entryFile(dir), 'utf8').slice(0, 50))
    await expectRebuilt(dir, 'cache-damaged')
    const blob = blobPath(dir, BUILT)
    chmodSync(blob, 0o644)
    writeFileSync(blob, BUILT.slice(0, 3))
    await expectRebuilt(dir, 'cache-damaged')
    expect((await checkRunDirs(dir)).problems).toEqual([])
    tally('cache entries tampered', 2)
  })
})
