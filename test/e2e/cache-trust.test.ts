import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {CACHE_FORMAT} from '../../src/engine/cache/format.js'

import {orca, projectsPerTest, readJson, readLines, runDirs} from './cli.js'

type Warning = {kind: string; message: string; path: string | null}
type JobRecord = {status: string; cache: string | null; warnings: Warning[]; artifacts: {count: number; manifest: string; sha256: string} | null}
type RunRecord = {id: string; jobs: Record<string, JobRecord>}

const project = projectsPerTest()
const KEY = 'a'.repeat(64)
const OTHER_KEY = 'b'.repeat(64)

const PIPELINE = `version: 1
image: busybox:1.36
jobs:
  build:
    inputs: ["src/**"]
    network: none
    steps: ["mkdir -p out && cat src/in.txt > out/result.txt && head -c 64 /dev/urandom > out/noise.bin"]
    artifacts: ["out/**"]
`

async function run(dir: string, env: NodeJS.ProcessEnv = {}): Promise<{record: RunRecord; stdout: string; dir: string}> {
  const result = await orca(['run', '--output', 'plain'], {cwd: dir, env})
  expect(result.stderr).not.toContain('    at ')
  expect(result.code, result.stdout + result.stderr).toBe(0)
  const runDir = runDirs(dir).at(-1)!
  return {record: readJson<RunRecord>(join(runDir, 'run.json')), stdout: result.stdout, dir: runDir}
}

/** Every file under dir as text, to show a secret appears nowhere. */
function allText(dir: string): string {
  if (!existsSync(dir)) return ''
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile())
    .map((e) => `${join(e.parentPath, e.name)}\n${readFileSync(join(e.parentPath, e.name), 'latin1')}`)
    .join('\n')
}

describe('cache entries with a signing key (real engine)', () => {
  it('restores only entries signed with the key; any other is a miss with a warning every view shows', async () => {
    const dir = project({'jobs.yml': PIPELINE, 'src/in.txt': 'input\n'})
    const signed = await run(dir, {ORCA_CACHE_SIGNING_KEY: KEY})
    expect(signed.record.jobs.build).toMatchObject({status: 'succeeded', warnings: []})
    // Random bytes in the artifacts: the same manifest digest means the same files, restored not rebuilt.
    const made = signed.record.jobs.build!.artifacts!.sha256

    const again = await run(dir, {ORCA_CACHE_SIGNING_KEY: KEY})
    expect(again.record.jobs.build!.status).toBe('cached')
    expect(again.record.jobs.build!.artifacts!.sha256).toBe(made)
    // A reader without a key does not check signatures.
    expect((await run(dir)).record.jobs.build!.status).toBe('cached')

    const foreign = await run(dir, {ORCA_CACHE_SIGNING_KEY: OTHER_KEY})
    expect(foreign.record.jobs.build).toMatchObject({status: 'succeeded', cache: 'miss'})
    expect(foreign.record.jobs.build!.warnings).toEqual([
      {kind: 'cache-untrusted', message: expect.stringContaining('it is signed with another key'), path: null, target: null},
    ])
    expect(foreign.stdout).toMatch(/\[build\] ! cache entry [0-9a-f]{12} was not used: it is signed with another key/)
    expect(readLines<{type: string}>(join(foreign.dir, 'events.jsonl')).filter((e) => e.type === 'job.warning')).toHaveLength(1)
    const shown = await orca(['show', 'latest'], {cwd: dir})
    expect(shown.stdout).toMatch(/warnings\n {2}build: cache entry .* signed with another key/)
    expect(foreign.record.jobs.build!.artifacts!.sha256).not.toBe(made)

    // Rebuilt and signed with the new key: a hit for it, a warning for the old one.
    expect((await run(dir, {ORCA_CACHE_SIGNING_KEY: OTHER_KEY})).record.jobs.build!.status).toBe('cached')
    expect((await run(dir, {ORCA_CACHE_SIGNING_KEY: KEY})).record.jobs.build!.warnings[0]?.kind).toBe('cache-untrusted')
  })

  it('takes the key from cache.signing in the config file, refusing entries written without one', async () => {
    const dir = project({'jobs.yml': PIPELINE, 'src/in.txt': 'input\n', 'keys/cache.key': `${KEY}\n`})
    await run(dir)
    writeFileSync(join(dir, 'orca.config.yml'), 'cache:\n  signing:\n    hmac: {keyFile: keys/cache.key}\n')
    const checked = await run(dir)
    expect(checked.record.jobs.build).toMatchObject({status: 'succeeded', cache: 'miss'})
    expect(checked.record.jobs.build!.warnings[0]!.message).toMatch(/it is not signed/)
    expect((await run(dir)).record.jobs.build!.status).toBe('cached')
    // The same key from the environment (as CI would pass it) checks the same signatures.
    writeFileSync(join(dir, 'orca.config.yml'), 'cache:\n  signing:\n    hmac: {keyEnv: CACHE_KEY}\n')
    expect((await run(dir, {CACHE_KEY: KEY})).record.jobs.build!.status).toBe('cached')
  })

  it('with an Ed25519 pair, a machine holding only the public key restores what the private key signed, and trusts no other key', async () => {
    const dir = project({'jobs.yml': PIPELINE, 'src/in.txt': 'input\n'})
    for (const name of ['ci', 'stranger']) expect((await orca(['keys', 'generate', '--out', 'keys', '--name', name], {cwd: dir})).code).toBe(0)
    const writer = 'cache:\n  signing:\n    ed25519: {privateKeyFile: keys/ci.key}\n'
    const reader = 'cache:\n  signing:\n    ed25519: {publicKeyFiles: [keys/ci.pub]}\n'
    writeFileSync(join(dir, 'orca.config.yml'), writer)
    const made = await run(dir)
    expect(made.record.jobs.build).toMatchObject({status: 'succeeded', warnings: []})
    const entry = readdirSync(join(dir, `.orca/cache/v${CACHE_FORMAT}/entries`)).find((f) => f.endsWith('.json'))!
    expect(readJson<{signature: {algorithm: string}}>(join(dir, `.orca/cache/v${CACHE_FORMAT}/entries`, entry)).signature.algorithm).toBe('ed25519')

    writeFileSync(join(dir, 'orca.config.yml'), reader)
    const restored = await run(dir)
    expect(restored.record.jobs.build).toMatchObject({status: 'cached', warnings: []})
    expect(restored.record.jobs.build!.artifacts!.sha256).toBe(made.record.jobs.build!.artifacts!.sha256)

    // A result the reader builds itself is not stored: it has no key to vouch for it.
    writeFileSync(join(dir, 'src/in.txt'), 'changed\n')
    expect((await run(dir)).record.jobs.build).toMatchObject({status: 'succeeded', cache: 'miss', warnings: []})
    expect((await run(dir)).record.jobs.build).toMatchObject({status: 'succeeded', cache: 'miss', warnings: []})

    // Signed by a key the reader does not list: a miss with the same warning as a bad HMAC.
    writeFileSync(join(dir, 'orca.config.yml'), 'cache:\n  signing:\n    ed25519: {privateKeyFile: keys/stranger.key}\n')
    await run(dir)
    writeFileSync(join(dir, 'orca.config.yml'), reader)
    const refused = await run(dir)
    expect(refused.record.jobs.build).toMatchObject({status: 'succeeded', cache: 'miss'})
    expect(refused.record.jobs.build!.warnings).toEqual([
      {kind: 'cache-untrusted', message: expect.stringContaining('it is signed by a key that is not trusted (cache.signing.ed25519)'), path: null, target: null},
    ])
  })

  it('refuses a key it cannot read, or a short one, before writing anything (exit 2)', async () => {
    const dir = project({'jobs.yml': PIPELINE, 'src/in.txt': 'input\n', 'orca.config.yml': 'cache:\n  signing:\n    hmac: {keyFile: missing.key}\n'})
    const missing = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/cannot read the cache signing key from .*missing\.key \(cache\.signing\.hmac\.keyFile\): ENOENT/)
    expect(missing.stderr).not.toContain('    at ')

    writeFileSync(join(dir, 'orca.config.yml'), '')
    const short = await orca(['run', '--output', 'plain'], {cwd: dir, env: {ORCA_CACHE_SIGNING_KEY: 'short'}})
    expect(short.code).toBe(2)
    expect(short.stderr).toMatch(/the cache signing key from ORCA_CACHE_SIGNING_KEY is too short: use at least 32 characters/)

    writeFileSync(join(dir, 'orca.config.yml'), 'cache:\n  signing:\n    hmac: {}\n')
    const empty = await orca(['validate'], {cwd: dir})
    expect(empty.code).toBe(2)
    expect(empty.stderr).toMatch(/orca\.config\.yml:3:11 cache\.signing\.hmac/)
    expect(runDirs(dir)).toEqual([])
  })
})

describe('a secret in an artifact name (real engine)', () => {
  it('is masked in the run directory, the records and the cache, and the file is stored and handed on under that name', async () => {
    const secret = 'hunter2-artifact-secret'
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  make:
    inputs: []
    network: none
    secrets: [TOKEN]
    steps: ['mkdir -p out && echo key > "out/key-$TOKEN.txt" && echo plain > out/plain.txt']
    artifacts: ["out/**"]
  use:
    needs: [make]
    inputs: []
    network: none
    steps: ["ls out && cat 'out/key-***.txt'"]
`,
    })
    const env = {TOKEN: secret}
    const first = await run(dir, env)
    const listed = (r: {dir: string}): string[] => readJson<{files: Array<{path: string}>}>(join(r.dir, 'artifacts/make.json')).files.map((f) => f.path)
    expect(listed(first)).toEqual(['out/key-***.txt', 'out/plain.txt'])
    expect(readFileSync(join(first.dir, 'artifacts/make/out/key-***.txt'), 'utf8')).toBe('key\n')
    expect(readFileSync(join(first.dir, 'logs/use.log'), 'utf8')).toContain('key-***.txt\nplain.txt\nkey\n')

    const second = await run(dir, env)
    expect(second.record.jobs.make!.status).toBe('cached')
    expect(listed(second)).toEqual(['out/key-***.txt', 'out/plain.txt'])
    expect((await orca(['artifacts', 'latest', '--job', 'make'], {cwd: dir})).code).toBe(0)
    expect(readFileSync(join(second.dir, 'artifacts/make/out/key-***.txt'), 'utf8')).toBe('key\n')
    expect((await orca(['show', 'latest'], {cwd: dir})).stdout).toContain('out/key-***.txt')
    expect(allText(join(dir, '.orca'))).not.toContain(secret)
  })
})
