import {mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync} from 'node:fs'
import {availableParallelism, tmpdir} from 'node:os'
import * as path from 'node:path'

import {afterEach, beforeEach, describe, expect, test} from 'vitest'

import {DEFAULT_SANDBOX_POLICY} from '../../../src/engine/config/layers.js'
import {loadConfig} from '../../../src/engine/config/load.js'
import {ConfigError} from '../../../src/engine/errors.js'
import {DEFAULT_SERVE_LIMITS} from '../../../src/engine/config/layers.js'
import {DEFAULT_EXECUTE_CAPS} from '../../../src/engine/sandbox/execute-limits.js'

/** What orca serve's execute, limits and webhooks are when nothing sets them. */
const SERVE_DEFAULTS = {execute: DEFAULT_EXECUTE_CAPS, limits: DEFAULT_SERVE_LIMITS, webhooks: [], sandboxes: DEFAULT_SANDBOX_POLICY}

let dir: string
beforeEach(() => {
  dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'orca-config-')))
})
afterEach(() => {
  rmSync(dir, {recursive: true, force: true})
})

const write = (relative: string, text: string): void => {
  mkdirSync(path.dirname(path.join(dir, relative)), {recursive: true})
  writeFileSync(path.join(dir, relative), text)
}

async function configError(promise: Promise<unknown>): Promise<string> {
  const error = await promise.catch((caught: unknown) => caught)
  expect(error).toBeInstanceOf(ConfigError)
  return (error as ConfigError).message
}

describe('loadConfig', () => {
  test('without a file, env or flags: the built-in defaults, dirs under cwd', async () => {
    const config = await loadConfig({cwd: dir, env: {}})
    expect(config).toEqual({
      runsDir: path.join(dir, '.orca/runs'),
      cacheDir: path.join(dir, '.orca/cache'),
      concurrency: availableParallelism(),
      defaults: {timeoutMs: 30 * 60_000, cleanup: 'always_remove'},
      docker: {},
      cache: {},
      provenance: {},
      retention: {maxRuns: 100, maxBytes: 5 * 1024 ** 3},
      serve: {host: '127.0.0.1', port: 7077, pipelines: ['jobs.yml'], allowDocker: false, ...SERVE_DEFAULTS},
    })
  })

  test('finds orca.config.yml upwards and resolves its dirs against its own directory', async () => {
    write('orca.config.yml', [
      'runsDir: build/runs',
      'concurrency: 3',
      'defaults: {image: "busybox:1.36", timeout: 10m, cleanup: never_remove}',
      'docker: {socket: run/docker.sock}',
      'cache: {maxSize: 10g}',
      'retention: {maxRuns: 50, maxAge: 7d, maxSize: 2g}',
      'serve: {host: 0.0.0.0, port: 8080, pipelines: [jobs.yml, ./ci//release.yaml], allowDocker: true}',
      '',
    ].join('\n'))
    mkdirSync(path.join(dir, 'packages/app'), {recursive: true})
    const config = await loadConfig({cwd: path.join(dir, 'packages/app'), env: {}})
    expect(config).toEqual({
      file: path.join(dir, 'orca.config.yml'),
      runsDir: path.join(dir, 'build/runs'),
      cacheDir: path.join(dir, '.orca/cache'),
      concurrency: 3,
      defaults: {image: 'busybox:1.36', timeoutMs: 600_000, cleanup: 'never_remove'},
      docker: {host: `unix://${path.join(dir, 'run/docker.sock')}`},
      cache: {maxSizeBytes: 10 * 1024 ** 3},
      provenance: {},
      retention: {maxRuns: 50, maxAgeMs: 7 * 86_400_000, maxBytes: 2 * 1024 ** 3},
      serve: {host: '0.0.0.0', port: 8080, pipelines: ['jobs.yml', 'ci/release.yaml'], allowDocker: true, ...SERVE_DEFAULTS},
    })
  })

  test('provenance.signingKey and cache.signing.ed25519 resolve against the config file; ORCA_SIGNING_KEY (a path or the PEM) wins', async () => {
    write('orca.config.yml', 'provenance: {signingKey: keys/orca.key}\ncache: {signing: {ed25519: {privateKeyFile: keys/orca.key, publicKeyFiles: [keys/ci.pub]}}}\n')
    const fromFile = await loadConfig({cwd: dir, env: {}})
    expect(fromFile.provenance).toEqual({signingKey: {file: path.join(dir, 'keys/orca.key')}})
    expect(fromFile.cache.signing).toEqual({ed25519: {privateKeyFile: path.join(dir, 'keys/orca.key'), publicKeyFiles: [path.join(dir, 'keys/ci.pub')]}})
    const fromPath = await loadConfig({cwd: dir, env: {ORCA_SIGNING_KEY: 'other.key'}})
    expect(fromPath.provenance).toEqual({signingKey: {file: path.join(dir, 'other.key')}})
    const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----'
    const fromPem = await loadConfig({cwd: dir, env: {ORCA_SIGNING_KEY: pem}})
    expect(fromPem.provenance).toEqual({signingKey: {pem, from: 'ORCA_SIGNING_KEY'}})
  })

  test('cache.signing takes one kind of key: hmac and ed25519 together are an error with its position', async () => {
    write('orca.config.yml', 'cache:\n  signing:\n    hmac: {keyEnv: K}\n    ed25519: {publicKeyFiles: [a.pub]}\n')
    await expect(loadConfig({cwd: dir, env: {}})).rejects.toThrow(/orca\.config\.yml:3:5 cache\.signing: must NOT have more than 1 properties/)
  })

  test('flags beat ORCA_* variables, which beat the file, which beats the defaults', async () => {
    write('orca.config.yml', 'concurrency: 2\nrunsDir: from-file\ncacheDir: cache-from-file\ndefaults: {cleanup: never_remove, timeout: 1m}\n')
    const env = {ORCA_CONCURRENCY: '4', ORCA_RUNS_DIR: 'from-env', ORCA_CLEANUP: 'keep_on_completion', ORCA_SERVE_PORT: '9000'}
    const onlyFile = await loadConfig({cwd: dir, env: {}})
    const fileAndEnv = await loadConfig({cwd: dir, env})
    const all = await loadConfig({cwd: dir, env, flags: {concurrency: 8, runsDir: 'from-flag'}})
    expect([onlyFile.concurrency, fileAndEnv.concurrency, all.concurrency]).toEqual([2, 4, 8])
    expect([onlyFile.runsDir, fileAndEnv.runsDir, all.runsDir]).toEqual([path.join(dir, 'from-file'), path.join(dir, 'from-env'), path.join(dir, 'from-flag')])
    expect(all.cacheDir).toBe(path.join(dir, 'cache-from-file'))
    expect(all.defaults).toEqual({cleanup: 'keep_on_completion', timeoutMs: 60_000})
    expect(all.serve).toEqual({host: '127.0.0.1', port: 9000, pipelines: ['jobs.yml'], allowDocker: false, ...SERVE_DEFAULTS})
  })

  test('every ORCA_* variable is read', async () => {
    const config = await loadConfig({
      cwd: dir,
      env: {
        ORCA_RUNS_DIR: '/var/orca/runs',
        ORCA_CACHE_DIR: 'c',
        ORCA_CONCURRENCY: '5',
        ORCA_DEFAULT_IMAGE: 'alpine:3',
        ORCA_DEFAULT_TIMEOUT: '90s',
        ORCA_CLEANUP: 'remove_on_timeout',
        ORCA_DOCKER_HOST: 'tcp://docker:2375',
        ORCA_CACHE_MAX_SIZE: '512m',
        ORCA_SERVE_HOST: '::1',
        ORCA_SERVE_PORT: '7000',
      },
    })
    expect(config).toMatchObject({
      runsDir: '/var/orca/runs',
      cacheDir: path.join(dir, 'c'),
      concurrency: 5,
      defaults: {image: 'alpine:3', timeoutMs: 90_000, cleanup: 'remove_on_timeout'},
      docker: {host: 'tcp://docker:2375'},
      cache: {maxSizeBytes: 512 * 1024 ** 2},
      serve: {host: '::1', port: 7000},
    })
  })

  test('serve.execute, serve.limits and serve.webhooks: sizes and durations parsed, the rest from the defaults', async () => {
    write(
      'orca.config.yml',
      'serve:\n  execute: {images: [busybox:1.36], maxTimeout: 5s, maxMemory: 64m, maxOutputBytes: 10k}\n  limits: {concurrency: 4}\n' +
        '  webhooks:\n    - {url: "http://127.0.0.1:9/hook", secretEnv: HOOK_SECRET, events: [run.finished], backoff: 2s}\n',
    )
    const {serve} = await loadConfig({cwd: dir, env: {}})
    expect(serve.execute).toEqual({...DEFAULT_EXECUTE_CAPS, images: ['busybox:1.36'], maxTimeoutMs: 5000, maxMemoryBytes: 64 * 1024 ** 2, maxOutputBytes: 10 * 1024})
    expect(serve.limits).toEqual({...DEFAULT_SERVE_LIMITS, concurrency: 4})
    expect(serve.webhooks).toEqual([{url: 'http://127.0.0.1:9/hook', secretEnv: 'HOOK_SECRET', events: ['run.finished'], retries: 5, backoffMs: 2000, timeoutMs: 10_000}])
    write('orca.config.yml', 'serve:\n  webhooks:\n    - {url: "http://127.0.0.1:9/hook", events: [run.started]}\n')
    expect(await configError(loadConfig({cwd: dir, env: {}}))).toMatch(/^orca\.config\.yml:3:/)
  })

  test('bad ORCA_* values are named, all at once', async () => {
    const message = await configError(loadConfig({cwd: dir, env: {ORCA_CONCURRENCY: 'abc', ORCA_DEFAULT_TIMEOUT: 'forever', ORCA_SERVE_PORT: '70000', ORCA_CLEANUP: ''}}))
    expect(message.split('\n')).toEqual([
      'environment ORCA_CONCURRENCY: expected a whole number from 1 up, got "abc"',
      'environment ORCA_DEFAULT_TIMEOUT: expected a duration like "30m", got "forever"',
      'environment ORCA_SERVE_PORT: expected a whole number from 1 to 65535, got "70000"',
    ])
  })

  test('a default image Docker would refuse is an error from the file or the environment', async () => {
    write('orca.config.yml', 'defaults:\n  image: "foo//bar"\n')
    expect(await configError(loadConfig({cwd: dir, env: {}}))).toMatch(/^orca\.config\.yml:2:10 defaults\.image: invalid image reference "foo\/\/bar": it has an empty path component/)
    write('orca.config.yml', 'concurrency: 1\n')
    expect(await configError(loadConfig({cwd: dir, env: {ORCA_DEFAULT_IMAGE: 'x/../..//127.0.0.1:1/y'}}))).toMatch(
      /^environment ORCA_DEFAULT_IMAGE: expected an image reference like "node:20" \(this one has an empty path component/,
    )
  })

  test('an invalid config file is reported with positions', async () => {
    write('orca.config.yml', 'concurrency: 0\ndefaults:\n  timeout: ten\n  cleanup: later\nserve: {prot: 80}\n')
    const message = await configError(loadConfig({cwd: dir, env: {}}))
    expect(message.split('\n')).toEqual([
      'orca.config.yml:1:14 concurrency: must be >= 1, got 0',
      'orca.config.yml:3:12 defaults.timeout: expected a duration like "10m", got "ten"',
      'orca.config.yml:4:12 defaults.cleanup: expected one of always_remove, remove_on_completion, keep_on_completion, remove_on_timeout, never_remove; got "later"',
      'orca.config.yml:5:9 serve.prot: unknown key "prot"; did you mean "port"?',
    ])
  })

  test('a config file with broken YAML', async () => {
    write('.orcarc.yml', 'runsDir: [a\n')
    expect(await configError(loadConfig({cwd: dir, env: {}}))).toMatch(/^\.orcarc\.yml:\d+:\d+: invalid YAML: /)
  })

  test('the "orca" key of package.json, with positions; package.json without it is skipped', async () => {
    write('package.json', '{\n  "name": "x",\n  "orca": {\n    "concurrency": "many"\n  }\n}\n')
    expect(await configError(loadConfig({cwd: dir, env: {}}))).toBe('package.json:4:20 orca.concurrency: expected an integer, got "many"')
    write('package.json', '{\n\t"name": "x",\n\t"orca": {"concurrency": 6}\n}\n')
    expect((await loadConfig({cwd: dir, env: {}})).concurrency).toBe(6)
    write('sub/package.json', '{"name": "y"}\n')
    write('.orcarc.json', '{"concurrency": 7}\n')
    expect((await loadConfig({cwd: path.join(dir, 'sub'), env: {}})).concurrency).toBe(7)
  })

  test('docker.host and docker.socket together are a mistake', async () => {
    write('.orcarc', 'docker:\n  host: tcp://x:2375\n  socket: /var/run/docker.sock\n')
    expect(await configError(loadConfig({cwd: dir, env: {}}))).toBe('.orcarc:3:3 docker.socket: set either docker.host or docker.socket, not both')
  })

  test('serve.pipelines names YAML files inside the served project', async () => {
    write('orca.config.yml', 'serve:\n  pipelines:\n    - jobs.yml\n    - ../other/jobs.yml\n    - /etc/jobs.yml\n    - .env\n    - a/../../b.yml\n')
    const expected = 'expected a .yml or .yaml file inside the served project, relative to it (no "..", not absolute, "/" as separator)'
    expect((await configError(loadConfig({cwd: dir, env: {}}))).split('\n')).toEqual([4, 5, 6, 7].map((line) => `orca.config.yml:${line}:7 serve.pipelines[${line - 3}]: ${expected}`))
    write('orca.config.yml', 'serve: {pipelines: []}\n')
    expect((await loadConfig({cwd: dir, env: {}})).serve.pipelines).toEqual([])
  })

  test('serve.sandboxes sets what it names over the defaults, and a wrong value is reported at its position', async () => {
    write('orca.config.yml', 'serve:\n  sandboxes:\n    images: [busybox:1.36]\n    ttl: 5m\n    maxTtl: 2h\n    memory: 1g\n    network: false\n')
    expect((await loadConfig({cwd: dir, env: {}})).serve.sandboxes).toEqual({
      ...DEFAULT_SANDBOX_POLICY,
      images: ['busybox:1.36'],
      defaultTtlMs: 300_000,
      maxTtlMs: 7_200_000,
      memoryBytes: 1024 ** 3,
      allowNetwork: false,
    })
    write('orca.config.yml', 'serve:\n  sandboxes:\n    ttl: soon\n')
    expect(await configError(loadConfig({cwd: dir, env: {}}))).toMatch(/^orca\.config\.yml:3:10 serve\.sandboxes\.ttl: /)
  })

  test('defaults.resources become the container limits of jobs without their own', async () => {
    write('orca.config.yml', 'defaults:\n  resources: {cpus: 1.5, memory: 2g, pids: 256}\n')
    const config = await loadConfig({cwd: dir, env: {}})
    expect(config.defaults.resources).toEqual({cpus: 1.5, memoryBytes: 2 * 1024 ** 3, pids: 256})
  })

  test('a bad defaults.resources value is reported at its position', async () => {
    write('orca.config.yml', 'defaults:\n  resources:\n    pids: lots\n')
    const message = await configError(loadConfig({cwd: dir, env: {}}))
    expect(message).toMatch(/^orca\.config\.yml:3:11 defaults\.resources\.pids: /)
  })
})

describe('cache.signing', () => {
  test('names a key file (resolved against the config file) or a variable; ORCA_CACHE_SIGNING_KEY wins', async () => {
    write('orca.config.yml', 'cache:\n  signing:\n    hmac: {keyFile: keys/cache.key}\n')
    expect((await loadConfig({cwd: dir, env: {}})).cache.signing).toEqual({hmac: {keyFile: path.join(dir, 'keys/cache.key')}})
    write('orca.config.yml', 'cache:\n  signing:\n    hmac: {keyEnv: CACHE_KEY}\n')
    expect((await loadConfig({cwd: dir, env: {}})).cache.signing).toEqual({hmac: {keyEnv: 'CACHE_KEY'}})
    const fromEnv = await loadConfig({cwd: dir, env: {ORCA_CACHE_SIGNING_KEY: 's'.repeat(40)}})
    expect(fromEnv.cache.signing).toEqual({hmac: {secret: 's'.repeat(40), from: 'ORCA_CACHE_SIGNING_KEY'}})
  })

  test('takes exactly one kind of key, and one place for it', async () => {
    write('orca.config.yml', 'cache:\n  signing:\n    hmac: {keyFile: a, keyEnv: B}\n')
    expect(await configError(loadConfig({cwd: dir, env: {}}))).toMatch(/orca\.config\.yml:3:11 cache\.signing\.hmac/)
    write('orca.config.yml', 'cache:\n  signing: {rsa: {}}\n')
    expect(await configError(loadConfig({cwd: dir, env: {}}))).toMatch(/cache\.signing\.rsa: unknown key "rsa"; allowed: hmac/)
  })
})

describe('cache.remote', () => {
  test('a url alone takes the defaults; ORCA_REMOTE_CACHE_* variables override key by key', async () => {
    write('orca.config.yml', 'cache:\n  remote:\n    url: s3://team-cache/orca\n    endpoint: http://minio:9000\n')
    expect((await loadConfig({cwd: dir, env: {}})).cache.remote).toEqual({
      url: 's3://team-cache/orca', endpoint: 'http://minio:9000', team: 'orca', tokenEnv: 'ORCA_REMOTE_CACHE_TOKEN', namespace: 'default',
      readOnly: false, timeoutMs: 10_000, retries: 2, concurrency: 16,
    })
    const overridden = await loadConfig({cwd: dir, env: {ORCA_REMOTE_CACHE_URL: 'https://cache.example', ORCA_REMOTE_CACHE_READ_ONLY: 'true', ORCA_REMOTE_CACHE_TIMEOUT: '2s'}})
    expect(overridden.cache.remote).toMatchObject({url: 'https://cache.example', readOnly: true, timeoutMs: 2000, endpoint: 'http://minio:9000'})
    write('orca.config.yml', 'runsDir: runs\n')
    expect((await loadConfig({cwd: dir, env: {}})).cache.remote).toBeUndefined()
  })

  test('a url that is neither s3:// nor http(s)://, or a token in the file, is an error with its position', async () => {
    write('orca.config.yml', 'cache:\n  remote:\n    url: ftp://cache\n')
    expect(await configError(loadConfig({cwd: dir, env: {}}))).toMatch(/^orca\.config\.yml:3:10 cache\.remote\.url: /)
    write('orca.config.yml', 'cache:\n  remote:\n    url: https://cache\n    token: abc\n')
    expect(await configError(loadConfig({cwd: dir, env: {}}))).toMatch(/cache\.remote\.token: unknown key "token"/)
    expect(await configError(loadConfig({cwd: dir, env: {ORCA_REMOTE_CACHE_READ_ONLY: 'maybe'}}))).toMatch(/ORCA_REMOTE_CACHE_READ_ONLY: expected true or false/)
  })
})
