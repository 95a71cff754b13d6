import {describe, expect, it} from 'vitest'

import {OrcaError} from '../../../src/engine/errors.js'
import type {Executor, JobContext, JobOutcome} from '../../../src/engine/executor/types.js'
import {planRun} from '../../../src/engine/plan/plan.js'
import type {Job} from '../../../src/engine/pipeline/types.js'
import type {ArtifactEntry} from '../../../src/engine/artifacts/manifest.js'
import type {OrcaEvent} from '../../../src/engine/records/events.js'
import {foldEvents} from '../../../src/engine/records/record.js'
import {executeRun, type RunOptions} from '../../../src/engine/run/scheduler.js'
import {job, pipeline} from '../../helpers/pipeline.js'
import {runFoldersPerTest} from '../../helpers/run-folders.js'

const folders = runFoldersPerTest()

type Script = (ctx: JobContext) => Promise<JobOutcome['status']> | JobOutcome['status']

/** An Executor that runs scripted outcomes in memory: the scheduler's logic without containers. */
class ScriptedExecutor implements Executor {
  readonly contexts: JobContext[] = []
  running = 0
  maxRunning = 0
  prepared: string[] = []

  constructor(private readonly scripts: Record<string, Script> = {}) {}

  async prepare(images: string[]): Promise<Map<string, string>> {
    this.prepared.push(...images)
    return new Map(images.map((i) => [i, `sha256:${i}`]))
  }

  async runJob(ctx: JobContext): Promise<JobOutcome> {
    this.contexts.push(ctx)
    this.running++
    this.maxRunning = Math.max(this.maxRunning, this.running)
    try {
      ctx.emit({type: 'step.started', step: 0, name: ctx.job.steps[0]!.name})
      ctx.emit({type: 'step.output', step: 0, stream: 'stdout', chunk: Buffer.from(`hello from ${ctx.job.name}\n`)})
      const status = await (this.scripts[ctx.job.name] ?? (() => tick().then(() => 'succeeded' as const)))(ctx)
      const exitCode = status === 'succeeded' ? 0 : status === 'failed' ? 1 : null
      ctx.emit({type: 'step.finished', result: {index: 0, name: ctx.job.steps[0]!.name, status, exitCode, durationMs: 1, allowFailure: false}})
      // A job with artifact globs produces one file named after it.
      const artifacts: ArtifactEntry[] = []
      if (status === 'succeeded' && ctx.job.artifacts.length > 0) {
        const ref = ctx.blobs.putBytes(Buffer.from(`made by ${ctx.job.name}\n`))
        artifacts.push({path: `${ctx.job.name}.txt`, type: 'file', mode: 0o644, ...ref})
      }
      return {status, steps: [], artifacts, cleanup: 'removed'}
    } finally {
      this.running--
    }
  }

  /** Runs cleaned up after a cancel or a failure. */
  readonly cleaned: string[] = []
  async cleanup(runId: string): Promise<void> {
    this.cleaned.push(runId)
  }
  async findLeaks(): Promise<[]> {
    return []
  }
}

const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms))

function untilAborted(ctx: JobContext): Promise<'cancelled'> {
  if (ctx.cancel.aborted) return Promise.resolve('cancelled')
  return new Promise((resolve) => ctx.cancel.addEventListener('abort', () => resolve('cancelled'), {once: true}))
}

async function run(jobs: Job[], targets: string[], executor: Executor, extra: Partial<RunOptions> = {}) {
  const events: OrcaEvent[] = []
  const p = pipeline(jobs)
  const {artifactsDir, artifactManifest, blobs, reports} = folders()
  const result = await executeRun({
    runId: 'test-run',
    pipeline: p,
    plan: planRun(p, targets),
    executor: async () => executor,
    projectFiles: {files: ['a.txt', 'src/b.ts'], orcaFiles: [], source: 'walk', untracked: []},
    concurrency: 4,
    failFast: false,
    envOverrides: {},
    secrets: {},
    artifactsDir,
    artifactManifest,
    reports,
    blobs,
    sinks: [{handle: (e) => events.push(e)}],
    cancel: new AbortController().signal,
    force: new AbortController().signal,
    orcaVersion: '0.0.0-test',
    ...extra,
  })
  return {result, events, statuses: Object.fromEntries(result.jobs)}
}

describe('executeRun', () => {
  it('runs a diamond in dependency order and passes needs artifacts to dependents', async () => {
    const executor = new ScriptedExecutor()
    const out = {artifacts: ['**']}
    const jobs = [job('a', out), job('b', {needs: ['a'], ...out}), job('c', {needs: ['a']}), job('d', {needs: ['b', 'c']})]
    const {result, events} = await run(jobs, ['d'], executor)
    expect(result.status).toBe('succeeded')
    const started = events.filter((e) => e.type === 'job.started').map((e) => e.type === 'job.started' && e.job)
    expect(started[0]).toBe('a')
    expect(started[3]).toBe('d')
    const d = executor.contexts.find((c) => c.job.name === 'd')!
    expect(d.needArtifacts.map((list) => list.map((a) => a.path))).toEqual([['b.txt'], []])
    expect(d.artifactsDir).toMatch(/\/artifacts\/d$/)
    // One summary per job with artifact globs, naming its manifest, instead of an event per file.
    expect(events.filter((e) => e.type === 'job.artifacts')).toEqual([
      expect.objectContaining({job: 'a', count: 1, bytes: 10, manifest: 'artifacts/a.json'}),
      expect.objectContaining({job: 'b', count: 1, bytes: 10, manifest: 'artifacts/b.json'}),
    ])
  })

  it('numbers events from 1 without gaps, starting with run.started and ending with run.finished', async () => {
    const {events} = await run([job('a'), job('b')], [], new ScriptedExecutor())
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
    expect(events[0]!.type).toBe('run.started')
    expect(events.at(-1)!.type).toBe('run.finished')
    expect(events.every((e) => e.runId === 'test-run')).toBe(true)
  })

  it('skips dependents of a failed job while independent jobs finish', async () => {
    const executor = new ScriptedExecutor({build: () => 'failed', lint: () => tick(30).then(() => 'succeeded' as const)})
    const jobs = [job('build'), job('lint'), job('test', {needs: ['build']}), job('all', {needs: ['test', 'lint'], steps: []})]
    const {result, statuses, events} = await run(jobs, [], executor)
    expect(statuses).toEqual({build: 'failed', lint: 'succeeded', test: 'skipped', all: 'skipped'})
    expect(result.status).toBe('failed')
    const skip = events.find((e) => e.type === 'job.skipped' && e.job === 'test')
    expect(skip).toMatchObject({reason: 'needs build (failed)'})
  })

  it('with fail-fast, cancels running jobs and skips pending ones after the first failure', async () => {
    const executor = new ScriptedExecutor({fails: () => tick(10).then(() => 'failed' as const), slow: untilAborted})
    const jobs = [job('fails'), job('slow'), job('later', {needs: ['slow']})]
    const {statuses} = await run(jobs, [], executor, {failFast: true})
    expect(statuses).toEqual({fails: 'failed', slow: 'cancelled', later: 'skipped'})
  })

  it('never runs more jobs at once than the concurrency limit', async () => {
    const executor = new ScriptedExecutor()
    const jobs = Array.from({length: 8}, (_, i) => job(`j${i}`))
    const {result} = await run(jobs, [], executor, {concurrency: 3})
    expect(result.status).toBe('succeeded')
    expect(executor.maxRunning).toBe(3)
  })

  it('on cancel, stops running jobs, skips pending ones and reports the run cancelled', async () => {
    const cancel = new AbortController()
    const executor = new ScriptedExecutor({
      slow: (ctx) => {
        setTimeout(() => cancel.abort(), 10)
        return untilAborted(ctx)
      },
    })
    const {result, statuses} = await run([job('slow'), job('next', {needs: ['slow']})], [], executor, {cancel: cancel.signal})
    expect(result.status).toBe('cancelled')
    expect(statuses).toEqual({slow: 'cancelled', next: 'skipped'})
  })

  it('settles a group job (no steps) without an executor, so nothing loads Docker', async () => {
    let created = false
    const p = pipeline([job('group', {steps: []})])
    const result = await executeRun({
      runId: 'r', pipeline: p, plan: planRun(p, []), projectFiles: {files: [], orcaFiles: [], source: 'walk', untracked: []}, concurrency: 1, failFast: false,
      envOverrides: {}, secrets: {}, ...folders(), sinks: [], orcaVersion: '0',
      cancel: new AbortController().signal, force: new AbortController().signal,
      executor: async () => {
        created = true
        return new ScriptedExecutor()
      },
    })
    expect(result.status).toBe('succeeded')
    expect(created).toBe(false)
  })

  it('turns an engine failure into an infrastructure error of the run and fails the jobs', async () => {
    const {result, statuses, events} = await run([job('a'), job('b', {needs: ['a']})], [], new ScriptedExecutor(), {
      executor: async () => {
        throw new OrcaError('infra', 'Docker is not reachable at unix:///nope.sock')
      },
    })
    expect(result.infraError?.message).toContain('not reachable')
    expect(statuses).toEqual({a: 'failed', b: 'skipped'})
    expect(events.at(-1)).toMatchObject({type: 'run.finished', status: 'failed', error: {kind: 'infra'}})
  })

  it('prepares each image of the plan once, and none for group jobs', async () => {
    const executor = new ScriptedExecutor()
    await run([job('a', {image: 'x:1'}), job('b', {image: 'x:1'}), job('c', {image: 'y:2'}), job('g', {steps: []})], [], executor)
    expect(executor.prepared.sort()).toEqual(['x:1', 'y:2'])
  })

  it('fails only the jobs whose image cannot be made present; the others run and the run is not an infrastructure failure', async () => {
    const executor = new ScriptedExecutor()
    executor.prepare = async (images) => {
      if (images.includes('missing:1')) throw new OrcaError('infra', 'could not pull image "missing:1": not found')
      return new Map(images.map((i) => [i, `sha256:${i}`]))
    }
    const jobs = [job('bad', {image: 'missing:1'}), job('after', {needs: ['bad']}), job('good', {image: 'x:1'})]
    const {result, statuses, events} = await run(jobs, [], executor)
    expect(statuses).toEqual({bad: 'failed', after: 'skipped', good: 'succeeded'})
    expect(result.infraError).toBeUndefined()
    expect(result.status).toBe('failed')
    expect(events.find((e) => e.type === 'job.finished' && e.job === 'bad')).toMatchObject({error: {kind: 'image', message: expect.stringContaining('missing:1')}})
    expect(events.filter((e) => e.type === 'image.failed')).toEqual([expect.objectContaining({image: 'missing:1'})])
    expect(executor.contexts.map((c) => c.job.name)).toEqual(['good'])
  })

  it('gives each job its env with -e overrides and only its own secrets, and masks secret values in every event', async () => {
    const executor = new ScriptedExecutor({
      a: (ctx) => {
        ctx.emit({type: 'step.output', step: 0, stream: 'stdout', chunk: Buffer.from('token is s3cr')})
        ctx.emit({type: 'step.output', step: 0, stream: 'stdout', chunk: Buffer.from('et-value!\n')})
        return 'succeeded'
      },
    })
    const jobs = [job('a', {env: {A: '1', B: '2'}, secrets: ['TOKEN']}), job('b')]
    const {events} = await run(jobs, [], executor, {envOverrides: {B: 'override'}, secrets: {TOKEN: 's3cret-value'}})
    expect(executor.contexts.find((c) => c.job.name === 'a')!.env).toEqual({A: '1', B: 'override', TOKEN: 's3cret-value'})
    expect(executor.contexts.find((c) => c.job.name === 'b')!.env).toEqual({B: 'override'})
    const text = JSON.stringify(events)
    expect(text).not.toContain('s3cret-value')
    expect(text).toContain('token is ***!')
  })

  it('caps the output recorded per job with one marker and logTruncated, leaving the status alone', async () => {
    const executor = new ScriptedExecutor({
      a: (ctx) => {
        for (let i = 0; i < 100; i++) ctx.emit({type: 'step.output', step: 0, stream: i % 2 ? 'stderr' : 'stdout', chunk: Buffer.from(`line ${i}\n`)})
        return 'succeeded'
      },
    })
    const {events, statuses} = await run([job('a'), job('b')], [], executor, {maxLogBytes: 200})
    const output = (name: string): string =>
      events.flatMap((e) => (e.type === 'step.output' && e.job === name ? [e.text] : [])).join('')
    expect(statuses).toEqual({a: 'succeeded', b: 'succeeded'})
    expect(Buffer.byteLength(output('a'))).toBeLessThan(200 + 200)
    expect(output('a').match(/\[orca\] output truncated: this job printed more than 200 bytes; the rest is not recorded\n/g)).toHaveLength(1)
    expect(output('a').endsWith('the rest is not recorded\n')).toBe(true)
    expect(output('b')).toBe('hello from b\n')
    const finished = events.filter((e) => e.type === 'job.finished')
    expect(finished.find((e) => e.job === 'a')).toMatchObject({status: 'succeeded', logTruncated: true})
    expect(finished.find((e) => e.job === 'b')).not.toHaveProperty('logTruncated')
  })

  it('a sink that throws (a reporter bug) neither stops the run nor leaves its record running; the run raises it at the end', async () => {
    const executor = new ScriptedExecutor()
    const events: OrcaEvent[] = []
    const bug = new TypeError("Cannot read properties of undefined (reading 'find')")
    const failing = run([job('a'), job('b', {needs: ['a']})], [], executor, {
      sinks: [{handle: (e) => events.push(e)}, {handle: (e) => {
        if (e.type === 'job.finished') throw bug
      }}],
    })
    await expect(failing).rejects.toBe(bug)
    expect(executor.contexts.map((c) => c.job.name)).toEqual(['a', 'b'])
    const record = foldEvents(events)!
    expect(record.status).toBe('succeeded')
    expect(Object.values(record.jobs).map((j) => j.status)).toEqual(['succeeded', 'succeeded'])
  })

  it('an unexpected error in the scheduler stops running jobs, cleans up and records the run failed', async () => {
    const executor = new ScriptedExecutor({a: untilAborted})
    const events: OrcaEvent[] = []
    const p = pipeline([job('a')])
    const plan = planRun(p, [])
    // A broken invariant: the plan orders a job it does not hold.
    plan.order.push('ghost')
    const failing = executeRun({
      runId: 'test-run', pipeline: p, plan, executor: async () => executor, projectFiles: {files: [], orcaFiles: [], source: 'walk', untracked: []}, concurrency: 4, failFast: false, envOverrides: {}, secrets: {},
      ...folders(), sinks: [{handle: (e) => events.push(e)}],
      cancel: new AbortController().signal, force: new AbortController().signal, orcaVersion: '0.0.0-test',
    })
    await expect(failing).rejects.toThrow(TypeError)
    expect(executor.cleaned).toEqual(['test-run'])
    expect(events.at(-1)).toMatchObject({type: 'run.finished', status: 'failed', error: {kind: 'internal', message: expect.stringMatching(/^unexpected error: /)}})
    const record = foldEvents(events)!
    expect(record.status).toBe('failed')
    expect(record.jobs.a?.status).toBe('cancelled')
  })

  it('gives a job its env and secrets named like Object.prototype\'s properties, __proto__ included', async () => {
    const executor = new ScriptedExecutor()
    const secrets = JSON.parse('{"toString": "secret-1", "__proto__": "secret-2"}') as Record<string, string>
    await run([job('a', {env: {constructor: 'c'}, secrets: ['toString', '__proto__']})], [], executor, {secrets, envOverrides: {valueOf: 'from -e'}})
    expect(Object.entries(executor.contexts[0]!.env)).toEqual([
      ['constructor', 'c'],
      ['valueOf', 'from -e'],
      ['toString', 'secret-1'],
      ['__proto__', 'secret-2'],
    ])
  })

  it('passes the selected inputs of each job', async () => {
    const executor = new ScriptedExecutor()
    await run([job('a', {inputs: ['src/**']}), job('b')], [], executor)
    expect(executor.contexts.find((c) => c.job.name === 'a')!.inputFiles).toEqual(['src/b.ts'])
    expect(executor.contexts.find((c) => c.job.name === 'b')!.inputFiles).toEqual(['a.txt', 'src/b.ts'])
  })
})
