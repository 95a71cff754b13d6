import {describe, expect, it} from 'vitest'

import {diffManifests, summariseChanges} from '../../../src/engine/cache/diff.js'
import {canonicalJson, sha256} from '../../../src/engine/cache/format.js'
import type {HashedInput} from '../../../src/engine/cache/hash-inputs.js'
import {keyManifest, keyOf, type KeyParts} from '../../../src/engine/cache/key.js'
import type {Job, Service} from '../../../src/engine/pipeline/types.js'
import {job} from '../../helpers/pipeline.js'

const input = (path: string, sha: string, mode = 0o100644): HashedInput => ({mode: mode.toString(8), path, sha256: sha.repeat(64)})

function parts(overrides: Partial<KeyParts> & {job?: Job} = {}): KeyParts {
  return {
    job: job('build', {steps: ['make'], env: {NODE_ENV: 'production'}, secrets: ['NPM_TOKEN'], artifacts: ['dist/**']}),
    imageId: 'sha256:aaa',
    envOverrides: {},
    inputs: [input('src/a.ts', 'a'), input('src/b.ts', 'b')],
    needs: {prepare: 'c'.repeat(64)},
    ...overrides,
  }
}

const key = (p: KeyParts): string => keyOf(keyManifest(p))

describe('job keys', () => {
  const base = key(parts())

  it('are stable and a SHA-256', () => {
    expect(key(parts())).toBe(base)
    expect(base).toMatch(/^[0-9a-f]{64}$/)
  })

  it('are the SHA-256 of the canonical JSON of the manifest (keys written by older builds stay valid)', () => {
    const manifest = keyManifest(parts({inputs: [input('src/"quoted" \\ dir/ünï.ts', 'a'), input('src/ctrl\u0001 lone\ud800.ts', 'c'), input('src/link', 'b', 0o120777)], envOverrides: {Z: 'z', A: '"'}}))
    expect(keyOf(manifest)).toBe(sha256(canonicalJson(manifest)))
  })

  it('change with env, -e overrides, a step, the image ID, an input, its mode and a need', () => {
    const changed = [
      key(parts({job: job('build', {steps: ['make'], env: {NODE_ENV: 'development'}, secrets: ['NPM_TOKEN'], artifacts: ['dist/**']})})),
      key(parts({envOverrides: {CI: 'true'}})),
      key(parts({job: job('build', {steps: ['make all'], env: {NODE_ENV: 'production'}, secrets: ['NPM_TOKEN'], artifacts: ['dist/**']})})),
      key(parts({imageId: 'sha256:bbb'})),
      key(parts({inputs: [input('src/a.ts', 'a'), input('src/b.ts', 'd')]})),
      key(parts({inputs: [input('src/a.ts', 'a'), input('src/b.ts', 'b', 0o100755)]})),
      key(parts({inputs: [input('src/a.ts', 'a')]})),
      key(parts({needs: {prepare: 'e'.repeat(64)}})),
      key(parts({job: job('build', {steps: ['make'], env: {NODE_ENV: 'production'}, secrets: ['NPM_TOKEN', 'GH_TOKEN'], artifacts: ['dist/**']})})),
    ]
    for (const k of changed) expect(k).not.toBe(base)
    expect(new Set(changed).size).toBe(changed.length)
  })

  it('cover env and -e names that are also Object.prototype\'s (__proto__ is a key, not dropped)', () => {
    const withEnv = (env: Record<string, string>, envOverrides: Record<string, string> = {}): string =>
      key(parts({job: job('build', {steps: ['make'], env, secrets: ['NPM_TOKEN'], artifacts: ['dist/**']}), envOverrides}))
    const proto = (value: string): Record<string, string> => JSON.parse(`{"NODE_ENV": "production", "__proto__": ${JSON.stringify(value)}}`) as Record<string, string>
    const keys = [base, withEnv(proto('a')), withEnv(proto('b')), withEnv({NODE_ENV: 'production', constructor: 'a'}), withEnv({NODE_ENV: 'production'}, proto('c'))]
    expect(new Set(keys).size).toBe(keys.length)
    expect(keyManifest(parts({job: job('build', {env: proto('a')})})).env).toEqual(proto('a'))
  })

  it('do not change with the timeout, resources or cleanup policy', () => {
    const relaxed = job('build', {
      steps: ['make'],
      env: {NODE_ENV: 'production'},
      secrets: ['NPM_TOKEN'],
      artifacts: ['dist/**'],
      timeoutMs: 999_000,
      resources: {cpus: 4},
      cleanup: 'never_remove',
    })
    expect(key(parts({job: relaxed}))).toBe(base)
  })

  it('cover a group job by its needs and definition only', () => {
    const group = job('all', {steps: [], needs: ['prepare']})
    const a = key(parts({job: group, imageId: 'sha256:x', inputs: [input('x', 'x')]}))
    const b = key(parts({job: group, imageId: null, inputs: []}))
    expect(a).toBe(b)
    expect(key(parts({job: group, needs: {prepare: 'f'.repeat(64)}}))).not.toBe(a)
  })

  it('hold secret names, never values', () => {
    expect(JSON.stringify(keyManifest(parts()))).not.toMatch(/s3cret/)
    expect(keyManifest(parts()).secrets).toEqual(['NPM_TOKEN'])
  })
})

describe('diffManifests', () => {
  it('names changed, added and removed input files', () => {
    const before = keyManifest(parts())
    const after = keyManifest(parts({inputs: [input('src/b.ts', 'd'), input('src/c.ts', 'c')]}))
    const changes = diffManifests(before, after)
    expect(changes.map((c) => c.text)).toEqual(['removed  src/a.ts', 'changed  src/b.ts', 'added    src/c.ts'])
    expect(summariseChanges(changes)).toBe('3 inputs changed (src/a.ts, src/b.ts, …)')
  })

  it('says when a file is named by its git object id in one key and by its SHA-256 in the other', () => {
    const named = (path: string, oid: string): HashedInput => ({git: oid.repeat(40), mode: '100644', path})
    const before = keyManifest(parts({inputs: [named('src/a.ts', 'a'), input('src/b.ts', 'b')]}))
    const after = keyManifest(parts({inputs: [input('src/a.ts', 'a'), named('src/b.ts', 'b')]}))
    expect(diffManifests(before, after).map((c) => c.text)).toEqual([
      'changed  src/a.ts (no longer named by its committed git object id: edited, or not committed)',
      'changed  src/b.ts (now named by its committed git object id)',
    ])
    // The key covers which name a file has: a git id and a SHA-256 never give one key.
    expect(keyOf(before)).not.toBe(keyOf(after))
  })

  it('names env, step, image and upstream changes', () => {
    const before = keyManifest(parts())
    const after = keyManifest(
      parts({
        job: job('build', {steps: ['make all'], env: {NODE_ENV: 'test'}, secrets: ['NPM_TOKEN'], artifacts: ['dist/**']}),
        imageId: 'sha256:bbb',
        needs: {prepare: 'e'.repeat(64)},
      }),
    )
    const texts = diffManifests(before, after).map((c) => `${c.area}: ${c.text}`)
    expect(texts).toEqual([
      'image: busybox:1.36 now resolves to sha256:bbb (was sha256:aaa)',
      'definition: step 1 ("make all"): name, run changed',
      'env: NODE_ENV: "production" → "test"',
      `needs: prepare: key ${'c'.repeat(12)} → ${'e'.repeat(12)}`,
    ])
  })

  it('names env changes of names that are also Object.prototype\'s', () => {
    const env = (text: string): Record<string, string> => JSON.parse(text) as Record<string, string>
    const before = keyManifest(parts({job: job('build', {env: env('{"__proto__": "a", "hasOwnProperty": "h"}')})}))
    const after = keyManifest(parts({job: job('build', {env: env('{"__proto__": "b", "constructor": "c"}')})}))
    expect(diffManifests(before, after).filter((c) => c.area === 'env').map((c) => c.text)).toEqual([
      '__proto__: "a" → "b"',
      'constructor added ("c")',
      'hasOwnProperty removed (was "h")',
    ])
  })

  it('finds nothing between equal manifests', () => {
    expect(diffManifests(keyManifest(parts()), keyManifest(parts()))).toEqual([])
  })
})

describe('keys of jobs with services', () => {
  const base = (): string => key(parts())
  const db = (fields: Partial<Service> = {}): Service => ({
    name: 'db',
    image: 'postgres:16',
    env: {POSTGRES_PASSWORD: 'pw'},
    secrets: [],
    aliases: ['database'],
    ready: {kind: 'tcp', port: 5432},
    readyTimeoutMs: 30_000,
    readyIntervalMs: 1_000,
    resources: {},
    ...fields,
  })
  const withDb = (service: Service | undefined, imageId: string | null = 'sha256:db1'): KeyParts =>
    parts({job: job('build', {steps: ['make'], env: {NODE_ENV: 'production'}, secrets: ['NPM_TOKEN'], artifacts: ['dist/**'], services: service ? {db: service} : {}}), serviceImageIds: {db: imageId}})

  it('of a job without services are the keys it had before services existed', () => {
    // The manifest has no `services` field at all, so every key cached by an older build still hits.
    expect(keyManifest(withDb(undefined))).not.toHaveProperty('services')
    expect(key(withDb(undefined))).toBe(base())
  })

  it("change with the service's image, its image ID, env, secret names, command, entrypoint, aliases and readiness check", () => {
    const first = key(withDb(db()))
    const changed = [
      key(withDb(db({image: 'postgres:15'}))),
      key(withDb(db(), 'sha256:db2')),
      key(withDb(db({env: {POSTGRES_PASSWORD: 'other'}}))),
      key(withDb(db({secrets: ['DB_TOKEN']}))),
      key(withDb(db({command: ['postgres', '-c', 'fsync=off']}))),
      key(withDb(db({entrypoint: ['/entry']}))),
      key(withDb(db({aliases: ['pg']}))),
      key(withDb(db({ready: {kind: 'command', command: 'pg_isready'}}))),
      key(withDb(undefined)),
    ]
    for (const k of changed) expect(k).not.toBe(first)
    expect(new Set(changed).size).toBe(changed.length)
  })

  it('do not change with how long the readiness check waits nor with resources', () => {
    const first = key(withDb(db()))
    expect(key(withDb(db({readyTimeoutMs: 1, readyIntervalMs: 1, resources: {cpus: 1, memoryBytes: 1, pids: 10}})))).toBe(first)
  })

  it('explain names the service and what changed about it', () => {
    const before = keyManifest(withDb(db()))
    const texts = (after: KeyParts): string[] => diffManifests(before, keyManifest(after)).map((c) => `${c.area}: ${c.text}`)
    expect(texts(withDb(db({image: 'postgres:17', env: {}})))).toEqual(['services: service db: image "postgres:16" → "postgres:17"', 'services: service db: env changed'])
    expect(texts(withDb(db(), 'sha256:db2'))).toEqual(['services: service db: postgres:16 now resolves to sha256:db2 (was sha256:db1)'])
    expect(texts(withDb(undefined))).toEqual(['services: service db: removed (was postgres:16)'])
    expect(diffManifests(keyManifest(withDb(undefined)), before).map((c) => c.text)).toEqual(['service db: added (postgres:16)'])
    expect(summariseChanges(diffManifests(before, keyManifest(withDb(db({ready: {kind: 'tcp', port: 5433}})))))).toBe('service db changed')
  })
})

describe('keys with the pipeline language (shell, pass_env, optional secrets)', () => {
  const plain = (): KeyParts => parts()
  const withJob = (fields: Parameters<typeof job>[1]): KeyParts =>
    parts({job: job('build', {steps: ['make'], env: {NODE_ENV: 'production'}, secrets: ['NPM_TOKEN'], artifacts: ['dist/**'], ...fields})})

  it('of a step without a shell and of a job passing no variables are the keys they had before', () => {
    const manifest = keyManifest(plain())
    expect(manifest).not.toHaveProperty('passEnv')
    expect(manifest.steps[0]).not.toHaveProperty('shell')
    expect(key(withJob({host: {passEnv: {}, envFileValues: {A: 'not in the key'}}}))).toBe(key(plain()))
  })

  it("change with a step's shell and with a passed variable's value, set or not", () => {
    const keys = [
      key(plain()),
      key(withJob({steps: [{name: 'make', run: 'make', shell: 'bash'}]})),
      key(withJob({steps: [{name: 'make', run: 'make', shell: 'python3 {0}'}]})),
      key(withJob({host: {passEnv: {REGION: 'eu'}, envFileValues: {}}})),
      key(withJob({host: {passEnv: {REGION: 'us'}, envFileValues: {}}})),
      key(withJob({host: {passEnv: {REGION: null}, envFileValues: {}}})),
      key(withJob({host: {passEnv: {REGION: ''}, envFileValues: {}}})),
    ]
    expect(new Set(keys).size).toBe(keys.length)
  })

  it('explain names the passed variable and the shell', () => {
    const before = keyManifest(withJob({host: {passEnv: {REGION: 'eu'}, envFileValues: {}}}))
    const after = keyManifest(withJob({steps: [{name: 'make', run: 'make', shell: 'bash'}], host: {passEnv: {REGION: null}, envFileValues: {}}}))
    const changes = diffManifests(before, after)
    expect(changes.map((c) => c.text)).toEqual(['step 1 ("make"): shell changed', 'REGION (pass_env): "eu" → not set'])
    expect(summariseChanges(changes)).toBe('env REGION; step 1 ("make")')
  })
})
