import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ConfigError} from '../../../src/engine/errors.js'
import {loadPipeline} from '../../../src/engine/pipeline/load.js'
import type {PipelineDefaults} from '../../../src/engine/pipeline/types.js'

const defaults: PipelineDefaults = {timeoutMs: 60_000, cleanup: 'always_remove'}
let dir: string
let cacheDir: string

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'orca-parse-cache-'))
  cacheDir = path.join(dir, '.orca/cache/v1/parsed')
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

const load = (options: Partial<{defaults: PipelineDefaults}> = {}) => loadPipeline('jobs.yml', {cwd: dir, defaults: options.defaults ?? defaults, parseCacheDir: cacheDir})
const PIPELINE = 'version: 1\nimage: busybox:1.36\njobs:\n  a:\n    steps: [make]\n  b:\n    needs: [a]\n    inputs: ["src/**"]\n    steps: [make test]\n'

describe('loadPipeline with a parse cache', () => {
  it('gives the same pipeline from the cache as from parsing, keeping one slot per file', async () => {
    writeFileSync(path.join(dir, 'jobs.yml'), PIPELINE)
    const parsed = await loadPipeline('jobs.yml', {cwd: dir, defaults})
    const first = await load()
    const second = await load()
    expect(first).toEqual(parsed)
    expect(second).toEqual(parsed)
    expect(second.jobs).toBeInstanceOf(Map)
    expect([...second.jobs.keys()]).toEqual(['a', 'b'])
    expect(readdirSync(cacheDir)).toHaveLength(1)
    // The slot is what the next load returns, without parsing the file.
    const slot = path.join(cacheDir, readdirSync(cacheDir)[0]!)
    const stored = JSON.parse(readFileSync(slot, 'utf8')) as {pipeline: {jobs: Array<[string, {steps: Array<{run: string}>}]>}}
    stored.pipeline.jobs[0]![1].steps[0]!.run = 'from the cache'
    writeFileSync(slot, JSON.stringify(stored))
    expect((await load()).jobs.get('a')!.steps[0]!.run).toBe('from the cache')
  })

  it('keeps env and volume names that are also Object.prototype\'s through the cache', async () => {
    writeFileSync(path.join(dir, 'jobs.yml'), 'version: 1\nimage: busybox\njobs:\n  constructor:\n    env: {__proto__: p, constructor: c}\n    volumes: {toString: /t}\n    steps: [make]\n')
    await load()
    const cached = (await load()).jobs.get('constructor')!
    expect(Object.entries(cached.env)).toEqual([['__proto__', 'p'], ['constructor', 'c']])
    expect(Object.entries(cached.volumes)).toEqual([['toString', '/t']])
  })

  it('parses again when the file or the defaults change', async () => {
    writeFileSync(path.join(dir, 'jobs.yml'), PIPELINE)
    await load()
    writeFileSync(path.join(dir, 'jobs.yml'), PIPELINE.replace('make test', 'make check'))
    expect((await load()).jobs.get('b')!.steps[0]!.run).toBe('make check')
    expect((await load({defaults: {...defaults, timeoutMs: 5_000}})).jobs.get('a')!.timeoutMs).toBe(5_000)
    expect(readdirSync(cacheDir)).toHaveLength(1)
  })

  it('still reports every mistake of an edited file, and never caches a rejected one', async () => {
    writeFileSync(path.join(dir, 'jobs.yml'), PIPELINE)
    await load()
    writeFileSync(path.join(dir, 'jobs.yml'), PIPELINE.replace('needs: [a]', 'needs: [nope]'))
    await expect(load()).rejects.toThrow(ConfigError)
    await expect(load()).rejects.toThrow(/unknown job "nope"|nope/)
  })

  it('treats a damaged slot as a miss', async () => {
    writeFileSync(path.join(dir, 'jobs.yml'), PIPELINE)
    await load()
    const [slot] = readdirSync(cacheDir)
    writeFileSync(path.join(cacheDir, slot!), '{"format":1,"key":')
    expect((await load()).jobs.get('b')!.needs).toEqual(['a'])
  })
})
