import {hostname} from 'node:os'

import type {ImageIdResolver} from '../cache/image-id.js'
import {replayHit} from '../cache/replay.js'
import type {KeyedJob, RunCache} from '../cache/run-cache.js'
import type {OutputChunk} from '../cache/store.js'
import {OrcaError} from '../errors.js'
import {nameTable, ownValue} from '../name-table.js'
import type {Executor, ExecutorEvent, JobOutcome} from '../executor/types.js'
import type {Plan} from '../plan/plan.js'
import {selectInputs} from '../plan/inputs.js'
import type {ProjectFiles} from '../plan/project-files.js'
import type {CleanupPolicy, Job, Pipeline} from '../pipeline/types.js'
import type {EventBody, EventSink, JobStatus, OrcaEvent, RunStatus} from './events.js'
import {maskString} from './masker.js'
import {OutputBudget, StepOutput} from './output.js'

/** Everything a run needs; the CLI and the HTTP server both build one of these. */
export interface RunOptions {
  runId: string
  pipeline: Pipeline
  plan: Plan
  /** Created only when a job actually has to run, so a run that runs nothing never loads Docker. */
  executor: () => Promise<Executor>
  /** The project's files (see listProjectFiles), the universe of every job's inputs. */
  projectFiles: ProjectFiles
  concurrency: number
  failFast: boolean
  cleanupOverride?: CleanupPolicy
  /** `-e K=V` values, applied over every job's env. */
  envOverrides: Record<string, string>
  /** Secret values by name, already resolved from orca's environment. */
  secrets: Record<string, string>
  /** Where each job's artifacts go (the run store decides). */
  artifactsDir: (job: string) => string
  /** Where each job's service logs go (the run store decides); absent = not kept in files. */
  serviceLogDir?: (job: string) => string
  sinks: EventSink[]
  /** First Ctrl-C: cancel gracefully. */
  cancel: AbortSignal
  /** Second Ctrl-C: kill without a grace period. */
  force: AbortSignal
  /**
   * Aborted (its reason an Error) when the run failed outside its own code, e.g. its Docker client
   * threw where nothing could catch it: the run stops as on a cancel and ends `failed` with that error.
   */
  failure?: AbortSignal
  orcaVersion: string
  /** Keys jobs, restores hits and stores successes; absent = no cache at all. */
  cache?: RunCache
  /** Image IDs for keys without preparing the executor (a fully cached run never loads Docker's client). */
  imageId?: ImageIdResolver
  /** Resolves when the run may start its jobs (a server's queue); the run is already recorded while it waits. */
  waitTurn?: (signal: AbortSignal) => Promise<void>
  /** Cap on the output recorded per job, in bytes (default 16 MiB); the job keeps running past it. */
  maxLogBytes?: number
}

export interface RunResult {
  status: Exclude<RunStatus, 'running'>
  jobs: Map<string, JobStatus>
  /** Set when the engine itself failed (Docker unreachable, image missing): exit code 3. */
  infraError?: OrcaError
}

const SUCCESS: ReadonlySet<JobStatus> = new Set(['succeeded', 'cached'])

/** Runs a plan: schedules ready jobs up to the concurrency limit and emits every event of the run. */
export async function executeRun(options: RunOptions): Promise<RunResult> {
  const started = Date.now()
  const emitter = new RunEmitter(options.runId, options.sinks, Object.values(options.secrets))
  const {plan} = options
  const states = new Map<string, JobStatus>(plan.order.map((n) => [n, 'pending']))
  let infraError: OrcaError | undefined

  emitter.emit({
    type: 'run.started',
    targets: plan.targets,
    jobs: plan.order,
    file: options.pipeline.file,
    projectDir: options.pipeline.projectDir,
    pid: process.pid,
    host: hostname(),
    orcaVersion: options.orcaVersion,
  })

  // Fail-fast and cancel share one controller that running jobs listen to.
  const stop = new AbortController()
  const onCancel = (): void => stop.abort()
  options.cancel.addEventListener('abort', onCancel, {once: true})
  options.failure?.addEventListener('abort', onCancel, {once: true})
  // A run cancelled while queued settles every job as skipped below.
  if (options.waitTurn) await options.waitTurn(stop.signal).catch(() => undefined)

  let executor: Executor | undefined
  let ready: Promise<Executor> | undefined
  let prepared: Map<string, string> | undefined
  // One executor per run, prepared once (engine reachable, images present) before the first job.
  const getExecutor = (): Promise<Executor> =>
    (ready ??= (async () => {
      executor = await options.executor()
      const images = [...new Set([...plan.jobs.values()].filter((j) => j.steps.length > 0).flatMap((j) => [j.image, ...Object.values(j.services).map((s) => s.image)]))]
      prepared = await executor.prepare(images, {
        signal: stop.signal,
        onEvent: (e) => e.type === 'image.pull' && emitter.emit({...e}),
      })
      return executor
    })())

  const running = new Map<string, Promise<void>>()
  const finish = (name: string, status: JobStatus): void => {
    states.set(name, status)
    if (!SUCCESS.has(status) && options.failFast) stop.abort()
  }

  // Cheap inspection first; an image the engine lacks (or an engine it cannot reach) goes through prepare.
  const imageIdOf = async (ref: string): Promise<string | null> => {
    const id = await options.imageId?.(ref).catch(() => undefined)
    if (id) return id
    await getExecutor()
    return prepared?.get(ref) ?? null
  }

  const runOne = async (job: Job): Promise<void> => {
    const jobStart = Date.now()
    states.set(job.name, 'running')
    let keyed: KeyedJob | undefined
    const record = {output: [] as OutputChunk[], imageId: undefined as string | undefined}
    const budget = new OutputBudget(options.maxLogBytes)
    let outcome: JobOutcome
    try {
      keyed = options.cache?.keyJob(job, job.steps.length === 0 ? null : await imageIdOf(job.image), await serviceImageIds(job, imageIdOf))
      const restored = keyed?.use === 'hit' ? options.cache!.restore(keyed, options.artifactsDir(job.name)) : undefined
      if (keyed && restored) {
        replayHit(keyed, restored, jobStart, (body) => emitter.emit(body))
        return finish(job.name, 'cached')
      }
    } catch (error) {
      // Hashing or image inspection failed before the job started: report it like any infra failure.
      keyed = undefined
      const orcaError = toInfraError(error)
      infraError ??= orcaError
      stop.abort()
      emitter.emit({type: 'job.started', job: job.name, image: job.image})
      emitter.emit({type: 'job.finished', job: job.name, status: 'failed', durationMs: Date.now() - jobStart, cleanup: 'none', error: {kind: 'infra', message: orcaError.message}})
      return finish(job.name, 'failed')
    }
    emitter.emit({type: 'job.started', job: job.name, image: job.image, ...(keyed ? {key: keyed.key, cache: keyed.use} : {})})
    if (job.steps.length === 0) {
      if (keyed) options.cache!.save(keyed, {runId: options.runId, artifactsDir: options.artifactsDir(job.name), output: []})
      emitter.emit({type: 'job.finished', job: job.name, status: 'succeeded', durationMs: 0, cleanup: 'none'})
      return finish(job.name, 'succeeded')
    }
    try {
      outcome = await runJobInExecutor(job, await getExecutor(), keyed, record, budget)
    } catch (error) {
      const orcaError = toInfraError(error)
      infraError ??= orcaError
      stop.abort()
      outcome = {status: 'failed', steps: [], artifacts: [], cleanup: 'none', error: {kind: 'infra', message: orcaError.message}}
    }
    if (outcome.error?.kind === 'infra') infraError ??= new OrcaError('infra', outcome.error.message)
    // Only a succeeded job is stored; failed, timed-out and cancelled ones never are.
    if (keyed && outcome.status === 'succeeded') {
      options.cache!.save(keyed, {runId: options.runId, artifactsDir: options.artifactsDir(job.name), ...record})
      options.cache!.completed(keyed, outcome.artifacts)
    }
    emitter.emit({
      type: 'job.finished',
      job: job.name,
      status: outcome.status,
      durationMs: Date.now() - jobStart,
      cleanup: outcome.cleanup,
      ...(outcome.error ? {error: outcome.error} : {}),
      ...(budget.truncated ? {logTruncated: true as const} : {}),
    })
    finish(job.name, outcome.status)
  }

  const runJobInExecutor = (
    job: Job,
    exec: Executor,
    keyed: KeyedJob | undefined,
    record: {output: OutputChunk[]; imageId?: string},
    budget: OutputBudget,
  ): Promise<JobOutcome> => {
    const recording = keyed?.job.cache === true
    const outputs = new Map<number, StepOutput>()
    const outputOf = (step: number): StepOutput => {
      let output = outputs.get(step)
      if (!output) {
        output = new StepOutput(emitter.secrets, (stream, all) => {
          const text = budget.take(all)
          if (!text) return
          if (recording) record.output.push({step, stream, text})
          emitter.emit({type: 'step.output', job: job.name, step, stream, text})
        })
        outputs.set(step, output)
      }
      return output
    }
    const onEvent = (e: ExecutorEvent): void => {
      switch (e.type) {
        case 'step.output':
          return outputOf(e.step).write(e.stream, e.chunk)
        case 'step.finished':
          outputs.get(e.result.index)?.end()
          outputs.delete(e.result.index)
          return emitter.emit({type: 'step.finished', job: job.name, ...e.result})
        case 'job.artifact':
          return emitter.emit({type: 'job.artifact', job: job.name, ...e.artifact})
        case 'job.container':
          record.imageId ??= e.imageId
          return emitter.emit({...e, job: job.name})
        default:
          return emitter.emit({...e, job: job.name})
      }
    }
    return exec.runJob({
      runId: options.runId,
      job,
      projectDir: options.pipeline.projectDir,
      // Exactly the files the key hashed, so a job cannot depend on a file its key does not cover.
      inputFiles: keyed ? keyed.inputs.map((i) => i.path) : selectInputs(options.projectFiles, job.inputs),
      artifactDirs: job.needs.map((n) => options.artifactsDir(n)),
      artifactsDir: options.artifactsDir(job.name),
      env: jobEnv(job, options),
      cleanup: options.cleanupOverride ?? job.cleanup,
      secrets: options.secrets,
      ...(options.serviceLogDir && Object.keys(job.services).length > 0 ? {serviceLogDir: options.serviceLogDir(job.name)} : {}),
      cancel: stop.signal,
      force: options.force,
      emit: onEvent,
    })
  }

  // The scheduling loop: start every ready job up to the limit, wait for one to settle, repeat.
  let unexpected: {error: unknown} | undefined
  try {
    for (;;) {
      for (const name of plan.order) {
        if (states.get(name) !== 'pending') continue
        const job = plan.jobs.get(name)!
        const blocker = job.needs.find((n) => !SUCCESS.has(states.get(n)!) && states.get(n) !== 'pending' && states.get(n) !== 'running')
        if (stop.signal.aborted || blocker !== undefined) {
          const reason =
            blocker !== undefined ? `needs ${blocker} (${states.get(blocker)})` : options.failure?.aborted ? 'the run failed' : options.cancel.aborted ? 'run cancelled' : 'fail-fast'
          states.set(name, 'skipped')
          emitter.emit({type: 'job.skipped', job: name, reason})
          continue
        }
        if (running.size >= options.concurrency || !job.needs.every((n) => SUCCESS.has(states.get(n)!))) continue
        running.set(name, runOne(job).finally(() => running.delete(name)))
      }
      if (running.size === 0) {
        // A skip above may have unblocked nothing; loop again only if something is still pending.
        if ([...states.values()].some((s) => s === 'pending')) continue
        break
      }
      await Promise.race(running.values())
    }
  } catch (error) {
    // A bug must still end the run: its jobs stopped and cleaned up, the record failed, never left running.
    unexpected = {error}
    stop.abort()
    await Promise.allSettled(running.values())
  }

  options.cancel.removeEventListener('abort', onCancel)
  options.failure?.removeEventListener('abort', onCancel)
  // A stray error raised outside the run (serve's process guard) fails it like a bug inside it.
  const outside = options.failure?.aborted ? String((options.failure.reason as Error | undefined)?.message ?? options.failure.reason) : undefined
  if (executor && (options.cancel.aborted || infraError || unexpected || outside !== undefined)) {
    await executor.cleanup(options.runId).catch(() => undefined)
  }

  const status = unexpected || outside !== undefined ? 'failed' : runStatus(states, options.cancel.aborted)
  const error = unexpected
    ? {kind: 'internal', message: `unexpected error: ${(unexpected.error as Error)?.message ?? String(unexpected.error)}`}
    : outside !== undefined
      ? {kind: 'internal', message: `unexpected error: ${outside}`}
      : infraError && {kind: 'infra', message: infraError.message}
  emitter.emit({type: 'run.finished', status, durationMs: Date.now() - started, ...(error ? {error} : {})})
  await Promise.all(options.sinks.map(async (s) => s.close?.()))
  // Raised once the record is complete: the caller reports a bug as one.
  const failure = unexpected ?? emitter.sinkFailure
  if (failure) throw failure.error
  return {status, jobs: states, infraError}
}

function runStatus(states: Map<string, JobStatus>, cancelled: boolean): Exclude<RunStatus, 'running'> {
  if (cancelled) return 'cancelled'
  const all = [...states.values()]
  if (all.includes('failed')) return 'failed'
  if (all.includes('timed_out')) return 'timed_out'
  if (all.includes('cancelled') || all.includes('skipped')) return 'failed'
  return 'succeeded'
}

/** Pipeline + job env, then `-e` overrides, then secret values (names listed by the job only). */
function jobEnv(job: Job, options: RunOptions): Record<string, string> {
  const env = nameTable(job.env, options.envOverrides)
  for (const name of job.secrets) {
    const value = ownValue(options.secrets, name)
    if (value !== undefined) env[name] = value
  }
  return env
}

/** The image ID of each service of a job, by service name (null: not on the engine yet). */
export async function serviceImageIds(job: Job, imageIdOf: (ref: string) => Promise<string | null>): Promise<Record<string, string | null>> {
  const ids = nameTable<string | null>()
  for (const service of Object.values(job.services)) ids[service.name] = await imageIdOf(service.image)
  return ids
}

function toInfraError(error: unknown): OrcaError {
  if (error instanceof OrcaError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new OrcaError('infra', message, {cause: error})
}

/** Stamps events with run id, sequence and time, masks secrets, and hands them to every sink. */
class RunEmitter {
  #seq = 0
  readonly #broken = new Set<EventSink>()
  readonly secrets: string[]
  /** The first error a sink threw. */
  sinkFailure: {error: unknown} | undefined

  constructor(
    readonly runId: string,
    readonly sinks: EventSink[],
    secrets: string[],
  ) {
    this.secrets = secrets.filter((s) => s.length > 0)
  }

  emit(body: EventBody): void {
    // step.output is masked by its stream (secrets split across chunks); everything else here.
    const streamed = body.type === 'step.output' && !body.replayed
    const masked = streamed || this.secrets.length === 0 ? body : maskDeep(body, this.secrets)
    const event = {...masked, seq: ++this.#seq, time: new Date().toISOString(), runId: this.runId} as OrcaEvent
    for (const sink of this.sinks) {
      if (this.#broken.has(sink)) continue
      try {
        sink.handle(event)
      } catch (error) {
        // A sink that throws (a reporter's bug) gets no more events; the run and the other sinks go on.
        this.#broken.add(sink)
        this.sinkFailure ??= {error}
      }
    }
  }
}

function maskDeep<T>(value: T, secrets: string[]): T {
  if (typeof value === 'string') return maskString(value, secrets) as T
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, secrets)) as T
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v, secrets)])) as T
  }
  return value
}

/** Resolves the secrets the planned jobs name from orca's environment; a missing one is a usage error. */
export function resolveSecrets(plan: Plan, env: NodeJS.ProcessEnv): Record<string, string> {
  const secrets = nameTable<string>()
  const missing: string[] = []
  const names = new Set<string>()
  for (const job of plan.jobs.values()) {
    const wanted = [
      ...job.secrets.map((name) => [name, `jobs.${job.name}.secrets`]),
      ...Object.values(job.services).flatMap((service) => service.secrets.map((name) => [name, `services.${service.name}.secrets of job ${job.name}`])),
    ]
    for (const [name, where] of wanted as Array<[string, string]>) {
      // Own variables only: `constructor` or `__proto__` must not find Object.prototype's.
      const value = ownValue(env, name)
      if (value !== undefined) secrets[name] = value
      else {
        missing.push(`${name} (${where})`)
        names.add(name)
      }
    }
  }
  if (missing.length > 0) {
    const list = [...names]
    const them = list.length === 1 ? list[0] : `${list.slice(0, -1).join(', ')} and ${list.at(-1)}`
    throw new OrcaError('usage', `secret${missing.length > 1 ? 's' : ''} not set in orca's environment: ${missing.join(', ')}`, {
      hint: `export ${them} before running orca, e.g. \`${list.map((name) => `${name}=...`).join(' ')} orca run\` (secrets are read from orca's own environment, not from -e)`,
    })
  }
  return secrets
}
