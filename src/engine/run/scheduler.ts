import {hostname} from 'node:os'

import type {BlobStore} from '../artifacts/blobs.js'
import type {ImageIdResolver} from '../cache/image-id.js'
import type {RunCache} from '../cache/run-cache.js'
import type {OrcaError} from '../errors.js'
import type {HostKeyResolver} from '../executor/host/key-commands.js'
import type {Executor, JobContext} from '../executor/types.js'
import {nameTable} from '../name-table.js'
import type {Plan} from '../plan/plan.js'
import type {ProjectFiles} from '../plan/project-files.js'
import type {CleanupPolicy, Pipeline} from '../pipeline/types.js'
import {RunArtifacts, type ManifestLocation} from './artifacts.js'
import {RunEmitter} from './emitter.js'
import type {EventBody, EventSink, JobStatus, RunStatus} from '../records/events.js'
import {ExecutorSession} from './executor-session.js'
import {liveJob, type JobRun} from './job-life.js'
import {RunOutputs} from './outputs.js'
import {ReadyQueue} from './ready-queue.js'
import {RunStop} from './run-stop.js'

/** Everything a run needs; the CLI and the HTTP server both build one of these. */
export interface RunOptions {
  runId: string
  pipeline: Pipeline
  plan: Plan
  /** Created only when a job actually has to run, so a run that runs nothing never loads Docker. */
  executor: () => Promise<Executor>
  /** Runs `runs-on: host` jobs; created when the first one runs (absent: such a job fails as an infra error). */
  hostExecutor?: () => Promise<Executor>
  /** Host jobs' key commands' output (absent: a host job with key commands cannot be keyed). */
  hostKey?: HostKeyResolver
  /** The project's files (see listProjectFiles), the universe of every job's inputs. */
  projectFiles: ProjectFiles
  concurrency: number
  failFast: boolean
  cleanupOverride?: CleanupPolicy
  /** `--keep-for`: over every job's `keep_for`. */
  keepForOverrideMs?: number
  /** `-e K=V` values, applied over every job's env. */
  envOverrides: Record<string, string>
  /** Secret values by name, already resolved from orca's environment. */
  secrets: Record<string, string>
  /** Where each job's artifacts go (the run store decides). */
  artifactsDir: (job: string) => string
  /** Where each job's test reports go: the folder, and its name relative to the run directory. */
  reports: (job: string) => {dir: string; name: string}
  /** Where each job's service logs go (the run store decides); absent = not kept in files. */
  serviceLogDir?: (job: string) => string
  /** Where each job's artifact manifest goes. */
  artifactManifest: (job: string) => ManifestLocation
  /** Where artifact content is collected and read, by digest (the cache's blobs). */
  blobs: BlobStore
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
  /** Jobs restored from the cache and never run (`--needs-from-cache`); the run is judged by the others. */
  restored?: ReadonlySet<string>
  /** `--interactive`: a failed step's container is held while this runs (see JobContext). */
  onStepFailed?: JobContext['onStepFailed']
  /** Cap on the output recorded per job, in bytes (default 16 MiB); the job keeps running past it. */
  maxLogBytes?: number
}

export interface RunResult {
  status: Exclude<RunStatus, 'running'>
  jobs: Map<string, JobStatus>
  /** Set when the engine itself failed (Docker unreachable, image missing): exit code 3. */
  infraError?: OrcaError
}

/**
 * Runs a plan and emits every event of the run: the ready queue starts jobs up to the concurrency
 * limit (ready-queue.ts, admission.ts), each job lives its life (job-life.ts) handing its artifacts to
 * its dependents (artifacts.ts), and cancel or fail-fast stop the rest (run-stop.ts).
 */
export async function executeRun(options: RunOptions): Promise<RunResult> {
  const started = Date.now()
  const {plan} = options
  const emitter = new RunEmitter(options.runId, options.sinks, Object.values(options.secrets))
  emitter.emit({
    type: 'run.started',
    targets: plan.targets,
    jobs: plan.order,
    file: options.pipeline.file,
    projectDir: options.pipeline.projectDir,
    pid: process.pid,
    host: hostname(),
    orcaVersion: options.orcaVersion,
    ...viewNames(plan),
  })

  const stop = new RunStop(options.cancel, options.failure, options.failFast)
  // A run cancelled while queued settles every job as skipped below.
  if (options.waitTurn) await options.waitTurn(stop.signal).catch(() => undefined)

  const outputs = new RunOutputs()
  const queue = new ReadyQueue(plan, options.concurrency, options.envOverrides, outputs)
  const executor = new ExecutorSession(options.executor, plan, emitter, stop.signal, options.imageId, options.hostExecutor)
  let infraError: OrcaError | undefined
  const jobRun: JobRun = {
    ...options,
    projectDir: options.pipeline.projectDir,
    emitter,
    executor,
    stop,
    artifacts: new RunArtifacts(options.blobs, options.artifactManifest),
    outputs,
    infraError: (error) => (infraError ??= error),
    settle: (name, status) => {
      queue.settle(name, status)
      stop.jobSettled(status)
    },
    requeue: (names) => names.forEach((name) => queue.settle(name, 'pending')),
  }

  // Start every ready job up to the limit, wait for one to settle, repeat.
  let unexpected: {error: unknown} | undefined
  try {
    for (;;) {
      queue.fill(
        () => stop.skipReason,
        (job) => liveJob(job, jobRun),
        (job, reason) => emitter.emit({type: 'job.skipped', job: job.name, reason}),
      )
      if (queue.busy) await queue.next()
      // A skip may have unblocked nothing; pass again only while something is still pending.
      else if (!queue.hasPending) break
    }
  } catch (error) {
    // A bug must still end the run: its jobs stopped and cleaned up, the record failed, never left running.
    unexpected = {error}
    stop.abort()
    await queue.drain()
  }

  // Results are shared before the run ends: a process that exits here would cut its uploads off.
  await options.cache?.settleUploads()
  stop.detach()
  // A stray error raised outside the run (serve's process guard) fails it like a bug inside it.
  const outside = stop.outsideFailure
  if (executor.created && (stop.cancelled || infraError || unexpected || outside !== undefined)) {
    await executor.cleanup(options.runId)
  }

  const status = unexpected || outside !== undefined ? 'failed' : queue.runStatus(stop.cancelled, options.restored)
  const error = unexpected
    ? {kind: 'internal', message: `unexpected error: ${(unexpected.error as Error)?.message ?? String(unexpected.error)}`}
    : outside !== undefined
      ? {kind: 'internal', message: `unexpected error: ${outside}`}
      : infraError && {kind: 'infra', message: infraError.message}
  emitter.emit({type: 'run.finished', status, durationMs: Date.now() - started, ...(error ? {error} : {})})
  await emitter.close()
  // Raised once the record is complete: the caller reports a bug as one.
  const failure = unexpected ?? emitter.sinkFailure
  if (failure) throw failure.error
  return {status, jobs: queue.states, infraError}
}

/** Display names and matrix values of the planned jobs that have them, for run.started. */
function viewNames(plan: Plan): Pick<Extract<EventBody, {type: 'run.started'}>, 'displayNames' | 'matrix'> {
  const displayNames = nameTable<string>()
  const matrix = nameTable<{job: string; values: Record<string, string>}>()
  for (const [name, job] of plan.jobs) {
    if (job.displayName !== undefined) displayNames[name] = job.displayName
    if (job.matrix) matrix[name] = {job: job.matrix.job, values: job.matrix.values}
  }
  return {...(Object.keys(displayNames).length > 0 ? {displayNames} : {}), ...(Object.keys(matrix).length > 0 ? {matrix} : {})}
}
