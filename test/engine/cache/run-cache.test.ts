import {createHash} from 'node:crypto'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import type {ArtifactEntry} from '../../../src/engine/artifacts/manifest.js'
import {materialise} from '../../../src/engine/artifacts/materialise.js'
import {RunCache} from '../../../src/engine/cache/run-cache.js'
import {CacheStore} from '../../../src/engine/cache/store.js'
import type {Executor, JobContext, JobOutcome} from '../../../src/engine/executor/types.js'
import {listProjectFiles} from '../../../src/engine/plan/project-files.js'
import {planRun} from '../../../src/engine/plan/plan.js'
import type {Job} from '../../../src/engine/pipeline/types.js'
import type {OrcaEvent} from '../../../src/engine/records/events.js'
import {executeRun} from '../../../src/engine/run/scheduler.js'
import {job, pipeline} from '../../helpers/pipeline.js'

/** Runs jobs in memory: each writes `<name>.out` (its inputs' contents) as its artifact. */
class FakeExecutor implements Executor {
  readonly ran: string[] = []
  readonly seen = new Map<string, string[]>()
  constructor(private readonly fail: Set<string> = new Set()) {}

  async prepare(images: string[]): Promise<Map<string, string>> {
    return new Map(images.map((i) => [i, `sha256:${i}`]))
  }

  async runJob(ctx: JobContext): Promise<JobOutcome> {
    this.ran.push(ctx.job.name)
    this.seen.set(ctx.job.name, ctx.inputFiles)
    ctx.emit({type: 'step.started', step: 0, name: 'work'})
    ctx.emit({type: 'step.output', step: 0, stream: 'stdout', chunk: Buffer.from(`working on ${ctx.job.name}\n`)})
    const status = this.fail.has(ctx.job.name) ? 'failed' : 'succeeded'
    ctx.emit({type: 'step.finished', result: {index: 0, name: 'work', status, exitCode: status === 'failed' ? 1 : 0, durationMs: 1, allowFailure: false}})
    if (status === 'failed') return {status, steps: [], artifacts: [], cleanup: 'removed'}
    // What it got from its needs, then its inputs: dependents show what reached them.
    const received = ctx.needArtifacts.flat().map((a) => (a.type === 'file' ? ctx.blobs.read(a).toString('utf8') : ''))
    const content = [...received, ...ctx.inputFiles.map((f) => readFileSync(join(ctx.projectDir, f), 'utf8'))].join('|')
    const artifacts: ArtifactEntry[] = [{path: `${ctx.job.name}.out`, type: 'file', mode: 0o644, ...ctx.blobs.putBytes(Buffer.from(content))}]
    materialise(artifacts, ctx.blobs, ctx.artifactsDir, {link: true})
    return {status, steps: [], artifacts, cleanup: 'removed'}
  }

  async cleanup(): Promise<void> {}
  async findLeaks(): Promise<[]> {
    return []
  }
}

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'orca-runcache-'))
  dirs.push(dir)
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), {recursive: true})
    writeFileSync(join(dir, rel), text)
  }
  return dir
}

const JOBS = (): Job[] => [
  job('a', {inputs: ['a/**'], artifacts: ['**']}),
  job('b', {inputs: ['b/**'], artifacts: ['**']}),
  job('a2', {needs: ['a'], inputs: [], artifacts: ['**']}),
  job('all', {needs: ['a2', 'b'], steps: []}),
]

interface RunOptions {
  noCache?: boolean
  jobs?: Job[]
  runId?: string
  envOverrides?: Record<string, string>
  /** The clock files are judged too fresh to index by: a minute ahead lets the stat index trust files written a moment ago. */
  now?: number
  /** What the engine answers for an image reference (default `sha256:<ref>`). */
  imageId?: (ref: string) => Promise<string | undefined>
}

async function run(dir: string, executor: FakeExecutor, options: RunOptions = {}) {
  const p = pipeline(options.jobs ?? JOBS(), dir)
  const projectFiles = await listProjectFiles(dir)
  const envOverrides = options.envOverrides ?? {}
  const store = new CacheStore(join(dir, '.orca/cache'))
  const cache = new RunCache({store, projectDir: dir, projectFiles, envOverrides, noCache: options.noCache ?? false, now: options.now})
  const events: OrcaEvent[] = []
  const runId = options.runId ?? `run-${Math.random().toString(36).slice(2)}`
  let created = false
  const result = await executeRun({
    runId,
    pipeline: p,
    plan: planRun(p, []),
    executor: async () => {
      created = true
      return executor
    },
    projectFiles,
    concurrency: 2,
    failFast: false,
    envOverrides,
    secrets: {},
    artifactsDir: (name) => join(dir, '.orca/runs', runId, 'artifacts', name),
    artifactManifest: (name) => ({path: join(dir, '.orca/runs', runId, 'artifacts', `${name}.json`), name: `artifacts/${name}.json`}),
    reports: (name) => ({dir: join(dir, '.orca/runs', runId, 'reports', name), name: `reports/${name}`}),
    blobs: store.blobs,
    sinks: [{handle: (e) => events.push(e)}],
    cancel: new AbortController().signal,
    force: new AbortController().signal,
    orcaVersion: 'test',
    cache,
    // What the Docker engine would answer for a local image, without creating an executor.
    imageId: options.imageId ?? (async (ref) => `sha256:${ref}`),
  })
  cache.finish()
  const status = Object.fromEntries([...result.jobs])
  return {result, events, status, created, runId}
}

describe('the scheduler with a cache', () => {
  it("keys a job with services on its services' image IDs: the same IDs hit, a service image rebuilt under its tag runs it again", async () => {
    const dir = project({'a/x.txt': 'ax'})
    const db = {name: 'db', image: 'postgres:16', env: {}, secrets: [], aliases: [], ready: {kind: 'default' as const}, readyTimeoutMs: 1000, readyIntervalMs: 100, resources: {}}
    const jobs = (): Job[] => [job('a', {inputs: ['a/**'], services: {db}})]
    expect((await run(dir, new FakeExecutor(), {jobs: jobs()})).status).toEqual({a: 'succeeded'})
    expect((await run(dir, new FakeExecutor(), {jobs: jobs()})).status).toEqual({a: 'cached'})
    const rebuilt = await run(dir, new FakeExecutor(), {jobs: jobs(), imageId: async (ref) => (ref === 'postgres:16' ? 'sha256:rebuilt' : `sha256:${ref}`)})
    expect(rebuilt.status).toEqual({a: 'succeeded'})
  })

  it('restores a second run entirely from the cache without creating an executor', async () => {
    const dir = project({'a/x.txt': 'ax', 'b/y.txt': 'by'})
    const first = await run(dir, new FakeExecutor(), {runId: 'first'})
    expect(first.status).toEqual({a: 'succeeded', b: 'succeeded', a2: 'succeeded', all: 'succeeded'})

    const second = await run(dir, new FakeExecutor())
    expect(second.status).toEqual({a: 'cached', b: 'cached', a2: 'cached', all: 'cached'})
    expect(second.created).toBe(false)
    // A hit costs nothing per file: its manifest is there (the cache's own, linked), its files are not written.
    const runDir = join(dir, '.orca/runs', second.runId)
    const manifest = readFileSync(join(runDir, 'artifacts/a.json'), 'utf8')
    expect(manifest).toContain(`"sha256":"${createHash('sha256').update('ax').digest('hex')}"`)
    expect(statSync(join(runDir, 'artifacts/a.json')).nlink).toBeGreaterThan(1)
    expect(existsSync(join(runDir, 'artifacts/a'))).toBe(false)
    expect(readFileSync(join(dir, '.orca/runs/first/artifacts/a2/a2.out'), 'utf8')).toBe('ax')
    const finished = second.events.filter((e) => e.type === 'job.finished')
    expect(finished.every((e) => e.type === 'job.finished' && e.cachedFrom === 'first')).toBe(true)
    const replayed = second.events.find((e) => e.type === 'step.output' && e.job === 'a')
    expect(replayed).toMatchObject({text: 'working on a\n', replayed: true})
    expect(second.events.find((e) => e.type === 'job.started' && e.job === 'a')).toMatchObject({cache: 'hit'})
    expect(second.events.find((e) => e.type === 'job.artifacts' && e.job === 'a')).toMatchObject({count: 1, bytes: 2, manifest: 'artifacts/a.json'})
  })

  it('reruns exactly the jobs downstream of an edited input', async () => {
    const dir = project({'a/x.txt': 'ax', 'b/y.txt': 'by'})
    await run(dir, new FakeExecutor())
    writeFileSync(join(dir, 'a/x.txt'), 'ax, edited')
    const executor = new FakeExecutor()
    const second = await run(dir, executor)
    expect(executor.ran.sort()).toEqual(['a', 'a2'])
    expect(second.status).toEqual({a: 'succeeded', b: 'cached', a2: 'succeeded', all: 'succeeded'})
  })

  it('gives each job exactly the files it hashed', async () => {
    const dir = project({'a/x.txt': 'ax', 'b/y.txt': 'by', 'secret.txt': 'nope'})
    const executor = new FakeExecutor()
    await run(dir, executor)
    expect(executor.seen.get('a')).toEqual(['a/x.txt'])
    expect(executor.seen.get('a2')).toEqual([])
  })

  it('never caches a failed job, and skips its dependents', async () => {
    const dir = project({'a/x.txt': 'ax', 'b/y.txt': 'by'})
    await run(dir, new FakeExecutor(new Set(['a'])))
    const executor = new FakeExecutor()
    const second = await run(dir, executor)
    expect(executor.ran.sort()).toEqual(['a', 'a2'])
    expect(second.status.b).toBe('cached')
  })

  it('runs everything with --no-cache, reporting the cache as disabled', async () => {
    const dir = project({'a/x.txt': 'ax', 'b/y.txt': 'by'})
    await run(dir, new FakeExecutor())
    const executor = new FakeExecutor()
    const second = await run(dir, executor, {noCache: true})
    expect(executor.ran.sort()).toEqual(['a', 'a2', 'b'])
    expect(second.events.filter((e) => e.type === 'job.started').every((e) => e.type === 'job.started' && e.cache === 'disabled')).toBe(true)
  })

  it('catches content changed through a hard link when a dependent needs it, and runs the job again', async () => {
    const jobs = (): Job[] => [job('a', {inputs: ['a/**'], artifacts: ['**']}), job('use', {needs: ['a'], inputs: [], cache: false, artifacts: ['**']})]
    const dir = project({'a/x.txt': 'ax'})
    const first = await run(dir, new FakeExecutor(), {jobs: jobs()})
    // The run folder's file is a hard link to the cache's content: writing through it changes both.
    const linked = join(dir, '.orca/runs', first.runId, 'artifacts/a/a.out')
    expect(statSync(linked).nlink).toBeGreaterThan(1)
    chmodSync(linked, 0o644)
    writeFileSync(linked, 'xx') // same size: only the digest tells
    const executor = new FakeExecutor()
    const second = await run(dir, executor, {jobs: jobs()})
    expect(second.status).toEqual({a: 'succeeded', use: 'succeeded'})
    expect(executor.ran).toEqual(['a', 'use'])
    expect(second.events.find((e) => e.type === 'job.warning' && e.job === 'a')).toMatchObject({
      kind: 'cache-damaged',
      message: expect.stringContaining('changed after they were stored'),
    })
    // `a` settled as cached, was found changed before `use` started, and ran: `use` got the real bytes.
    expect(second.events.filter((e) => e.type === 'job.finished' && e.job === 'a').map((e) => e.type === 'job.finished' && e.status)).toEqual(['cached', 'succeeded'])
    expect(readFileSync(join(dir, '.orca/runs', second.runId, 'artifacts/use/use.out'), 'utf8')).toBe('ax')
    const third = await run(dir, new FakeExecutor(), {jobs: jobs()})
    expect(third.status).toEqual({a: 'cached', use: 'succeeded'})
    expect(readFileSync(join(dir, '.orca/runs', third.runId, 'artifacts/use/use.out'), 'utf8')).toBe('ax')
  })

  it('keys dependents of a cache: false job on what it actually produced', async () => {
    const jobs = (): Job[] => [job('stamp', {inputs: ['a/**'], cache: false}), job('use', {needs: ['stamp'], inputs: []})]
    const dir = project({'a/x.txt': 'one'})
    await run(dir, new FakeExecutor(), {jobs: jobs()})
    const same = new FakeExecutor()
    await run(dir, same, {jobs: jobs()})
    expect(same.ran).toEqual(['stamp'])
    writeFileSync(join(dir, 'a/x.txt'), 'two')
    const changed = new FakeExecutor()
    await run(dir, changed, {jobs: jobs()})
    expect(changed.ran).toEqual(['stamp', 'use'])
  })
})

