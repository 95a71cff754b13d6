import {describe, expect, test} from 'vitest'

import {parsePipeline} from '../../../src/engine/pipeline/parse.js'
import {defaultStepName} from '../../../src/engine/pipeline/normalise.js'
import {parseSize} from '../../../src/engine/bytes.js'
import type {PipelineDefaults} from '../../../src/engine/pipeline/types.js'

const defaults: PipelineDefaults = {timeoutMs: 30 * 60_000, cleanup: 'always_remove', image: 'config/image:1'}

const CONTRACT_EXAMPLE = `version: 1
image: busybox:1.36
env: { CI: "true", RETRIES: 3, DEBUG: false }
jobs:
  build:
    image: node:20-bookworm
    inputs: ["src/**", "package*.json"]
    env: { NODE_ENV: production, CI: "yes" }
    secrets: [NPM_TOKEN]
    workdir: /app
    user: "1000:1000"
    timeout: 10m
    cleanup: never_remove
    cache: false
    resources: { cpus: 1.5, memory: 1g, pids: 512 }
    network: none
    volumes:
      npm-cache: /root/.npm
    steps:
      - npm ci
      - name: compile
        run: npm run build
        timeout: 1h30m
        env: { FOO: bar }
        allow_failure: true
    artifacts: ["dist/**"]
  test:
    needs: [build, build]
    steps: [npm test]
  build-and-test:
    needs: [build, test]
`

describe('normalised pipeline', () => {
  const pipeline = parsePipeline(CONTRACT_EXAMPLE, 'jobs.yml', '/project/jobs.yml', defaults)
  const build = pipeline.jobs.get('build')
  const test_ = pipeline.jobs.get('test')
  const group = pipeline.jobs.get('build-and-test')

  test('keeps jobs in declaration order with the project directory', () => {
    expect([...pipeline.jobs.keys()]).toEqual(['build', 'test', 'build-and-test'])
    expect(pipeline.file).toBe('/project/jobs.yml')
    expect(pipeline.projectDir).toBe('/project')
    expect(pipeline.version).toBe(1)
  })

  test('applies everything the job sets, durations in ms, sizes in bytes', () => {
    expect(build).toMatchObject({
      name: 'build',
      image: 'node:20-bookworm',
      inputs: ['src/**', 'package*.json'],
      secrets: ['NPM_TOKEN'],
      workdir: '/app',
      user: '1000:1000',
      timeoutMs: 600_000,
      cleanup: 'never_remove',
      cache: false,
      resources: {cpus: 1.5, memoryBytes: 1024 ** 3, pids: 512},
      network: 'none',
      volumes: {'npm-cache': '/root/.npm'},
      artifacts: ['dist/**'],
      position: {file: 'jobs.yml', line: 5, column: 3},
    })
  })

  test('merges pipeline env under job env, as strings', () => {
    expect(build?.env).toEqual({CI: 'yes', RETRIES: '3', DEBUG: 'false', NODE_ENV: 'production'})
    expect(test_?.env).toEqual({CI: 'true', RETRIES: '3', DEBUG: 'false'})
  })

  test('turns steps into named objects', () => {
    expect(build?.steps).toEqual([
      {name: 'npm ci', run: 'npm ci', env: {}, allowFailure: false},
      {name: 'compile', run: 'npm run build', timeoutMs: 5_400_000, env: {FOO: 'bar'}, allowFailure: true},
    ])
  })

  test('fills defaults where the job is silent and dedupes needs', () => {
    expect(test_).toMatchObject({
      image: 'busybox:1.36',
      needs: ['build'],
      workdir: '/workspace',
      timeoutMs: 30 * 60_000,
      cleanup: 'always_remove',
      cache: true,
      network: 'bridge',
      resources: {},
      volumes: {},
      artifacts: [],
      secrets: [],
    })
    expect(test_?.inputs).toBeUndefined()
    expect(test_?.user).toBeUndefined()
  })

  test('a group job has no steps and takes the default image', () => {
    expect(group).toMatchObject({needs: ['build', 'test'], steps: [], image: 'busybox:1.36'})
  })

  test('the configured default image applies when jobs.yml has none', () => {
    const bare = parsePipeline('version: 1\njobs:\n  a:\n    steps: [make]\n', 'jobs.yml', '/p/jobs.yml', defaults)
    expect(bare.jobs.get('a')?.image).toBe('config/image:1')
  })

  test('YAML merge keys share settings between jobs', () => {
    const text = 'version: 1\nimage: busybox\njobs:\n  a: &base\n    timeout: 2m\n    steps: [make]\n  b:\n    <<: *base\n    steps: [make b]\n'
    const merged = parsePipeline(text, 'jobs.yml', '/p/jobs.yml', defaults)
    expect(merged.jobs.get('b')).toMatchObject({timeoutMs: 120_000, steps: [{run: 'make b'}]})
  })
})

describe('names that are also Object.prototype\'s properties', () => {
  const text = `version: 1
image: busybox
env: {__proto__: top, toString: t}
jobs:
  constructor:
    env: {__proto__: job, hasOwnProperty: h}
    secrets: [__proto__, constructor]
    volumes: {constructor: /c, toString: /t, prototype: /p}
    steps:
      - run: make
        env: {__proto__: step, valueOf: v}
  prototype:
    needs: [constructor]
    steps: [make]
`
  const pipeline = parsePipeline(text, 'jobs.yml', '/p/jobs.yml', defaults)

  test('are jobs, env variables, secrets and volumes like any other, none dropped', () => {
    expect([...pipeline.jobs.keys()]).toEqual(['constructor', 'prototype'])
    const job = pipeline.jobs.get('constructor')!
    expect(Object.entries(job.env)).toEqual([['__proto__', 'job'], ['toString', 't'], ['hasOwnProperty', 'h']])
    expect(job.secrets).toEqual(['__proto__', 'constructor'])
    expect(Object.entries(job.volumes)).toEqual([['constructor', '/c'], ['toString', '/t'], ['prototype', '/p']])
    expect(Object.entries(job.steps[0]!.env)).toEqual([['__proto__', 'step'], ['valueOf', 'v']])
    expect(Object.entries(pipeline.jobs.get('prototype')!.env)).toEqual([['__proto__', 'top'], ['toString', 't']])
  })
})

describe('default step names', () => {
  test('use the first line of the command, shortened', () => {
    expect(defaultStepName('npm test')).toBe('npm test')
    expect(defaultStepName('\n  set -e\n  make all\n')).toBe('set -e')
    const long = defaultStepName('docker build --tag registry.example.com/team/app:latest .')
    expect(long).toHaveLength(40)
    expect(long.endsWith('…')).toBe(true)
  })
})

describe('sizes', () => {
  test('binary units like Docker, or bytes', () => {
    expect(parseSize('512m')).toBe(512 * 1024 ** 2)
    expect(parseSize('1g')).toBe(1024 ** 3)
    expect(parseSize('1.5GiB')).toBe(1.5 * 1024 ** 3)
    expect(parseSize('100kb')).toBe(102_400)
    expect(parseSize('10b')).toBe(10)
    expect(parseSize(4096)).toBe(4096)
    expect(parseSize('lots')).toBeUndefined()
    expect(parseSize(0)).toBeUndefined()
  })
})

describe('resources from configuration defaults', () => {
  test('apply to jobs without their own, and a job\'s own values win key by key', () => {
    const withLimits: PipelineDefaults = {...defaults, resources: {cpus: 2, memoryBytes: 512 * 1024 ** 2, pids: 256}}
    const pipeline = parsePipeline(
      'version: 1\nimage: busybox:1.36\njobs:\n  plain:\n    steps: ["true"]\n  own:\n    resources: {memory: 2g}\n    steps: ["true"]\n',
      'jobs.yml',
      '/p/jobs.yml',
      withLimits,
    )
    expect(pipeline.jobs.get('plain')!.resources).toEqual({cpus: 2, memoryBytes: 512 * 1024 ** 2, pids: 256})
    expect(pipeline.jobs.get('own')!.resources).toEqual({cpus: 2, memoryBytes: 2 * 1024 ** 3, pids: 256})
  })
})

describe('retry, git and docker', () => {
  const jobsOf = (body: string) => parsePipeline(`version: 1\nimage: busybox:1.36\njobs:\n${body}`, 'jobs.yml', '/p/jobs.yml', defaults).jobs

  test('retry: a number retries every ending but a cancel; an object names the endings; 0 is no retry', () => {
    const jobs = jobsOf(
      '  a:\n    retry: 2\n    steps: [x]\n  b:\n    retry: {max: 1, when: [infra, infra]}\n    steps: [x]\n  c:\n    retry: 0\n    steps: [x]\n  d:\n    steps: [x]\n',
    )
    expect(jobs.get('a')!.retry).toEqual({max: 2, when: ['failure', 'timed_out', 'infra']})
    expect(jobs.get('b')!.retry).toEqual({max: 1, when: ['infra']})
    expect(jobs.get('c')!.retry).toBeUndefined()
    expect(jobs.get('d')!.retry).toBeUndefined()
  })

  test('git: true is the whole history, {depth} a shallow one, false none; docker: true only when said', () => {
    const jobs = jobsOf('  a:\n    git: true\n    docker: true\n    steps: [x]\n  b:\n    git: {depth: 5}\n    docker: false\n    steps: [x]\n  c:\n    git: false\n    steps: [x]\n')
    expect(jobs.get('a')).toMatchObject({git: {}, docker: true})
    expect(jobs.get('b')!.git).toEqual({depth: 5})
    expect(jobs.get('b')!.docker).toBeUndefined()
    expect(jobs.get('c')!.git).toBeUndefined()
  })
})
