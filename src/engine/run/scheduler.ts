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
import type {CleanupPolicy, Job, Pipeline} from '../pipeline/types.js'
import {RunArtifacts, type ManifestLocation} from './artifacts.js'
import {RunEmitter} from './emitter.js'
import type {EventBody, EventSink, JobStatus, ProvenanceSummary, RunStatus} from '../records/events.js'
import {ExecutorSession} from './executor-session.js'
import {RunImages} from './run-images.js'
import {BuildContexts} from '../cache/build-context.js'
import {projectIdentity} from '../project-identity.js'
import {liveJob, type JobRun} from './job-life.js'
import {OUTPUT_FILE, RunOutputs} from './outputs.js'
import {jobInputFiles} from '../plan/inputs.js'
import {PhaseTrace} from '../executor/docker/phase-trace.js'
import {PrestartPool} from './prestart.js'
import {ReadyQueue} from './ready-queue.js'
import {RunStop} from './run-stop.js'
import {VolumeLocks} from './job-volumes.js'

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
  /** Other values masked wherever the run writes (registry passwords); never given to a job. */
  masked?: string[]
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
  /** Writes the run's attestation once every job settled; what it wrote goes into run.finished. */
  attest?: (finishedOn: string) => Promise<ProvenanceSummary | undefined>
  /** Start jobs' containers ahead of their needs ending (default true; `ORCA_PRESTART=0` turns it off). */
  prestart?: boolean
  /** When the process started and the run was read and planned (ms since the epoch): `ORCA_TRACE` records the phases before the run. */
  timeline?: {processStartedAt?: number; began: number; ended: number}
}

export interface RunResult {
  status: Exclude<RunStatus, 'running'>
  jobs: Map<string, JobStatus>
  /** Set when the engine itself failed (Docker unreachable): exit code 3. */
  infraError?: OrcaError
  /** Jobs that failed because their image is missing (could not be pulled); the others ran. */
  missingImages: ReadonlySet<string>
}

/**
 * Runs a plan and emits every event of the run: the ready queue starts jobs up to the concurrency
 * limit (ready-queue.ts, admission.ts), each job lives its life (job-life.ts) handing its artifacts to
 * its dependents (artifacts.ts), and cancel or fail-fast stop the rest (run-stop.ts).
 */
export async function executeRun(options: RunOptions): Promise<RunResult> {
  const started = Date.now()
  const {plan} = options
  const trace = PhaseTrace.fromEnv()
  traceTimeline(trace, options, started)
  const emitter = new RunEmitter(options.runId, options.sinks, [...Object.values(options.secrets), ...(options.masked ?? [])])
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

  // Every key known now is looked up on the remote at once; each job takes its result in its turn.
  const lookingAhead = options.imageId && !stop.signal.aborted ? options.cache?.lookAhead(plan.order.map((name) => plan.jobs.get(name)!), options.imageId) : undefined

  const outputs = new RunOutputs()
  const queue = new ReadyQueue(plan, options.concurrency, options.envOverrides, outputs)
  const executor = new ExecutorSession(options.executor, options.hostExecutor, (began) => trace.mark(options.runId, 'executor', began))
  const projectDir = options.pipeline.projectDir
  const images = new RunImages(executor, emitter, stop.signal, {
    projectId: projectIdentity(projectDir).id,
    contexts: options.cache?.buildContexts ?? new BuildContexts(projectDir),
    ...(options.imageId ? {imageId: options.imageId} : {}),
  })
  // Pulls start now, each image on its own, while the first jobs are keyed; restored jobs never run.
  images.prefetch([...plan.jobs.values()].filter((job) => !options.restored?.has(job.name)))
  const prestart = options.prestart === false ? undefined : prestartPool(options, queue, executor, images, stop)
  let infraError: OrcaError | undefined
  const missingImages = new Set<string>()
  const jobRun: JobRun = {
    ...options,
    projectDir: options.pipeline.projectDir,
    emitter,
    executor,
    images,
    stop,
    prestart,
    artifacts: new RunArtifacts(options.blobs, options.artifactManifest),
    outputs,
    volumeLocks: new VolumeLocks(),
    infraError: (error) => (infraError ??= error),
    imageMissing: (name) => missingImages.add(name),
    settle: (name, status) => {
      queue.settle(name, status)
      stop.jobSettled(status)
      prestart?.settled(name)
    },
    requeue: (names) =>
      names.forEach((name) => {
        queue.settle(name, 'pending')
        prestart?.settled(name)
      }),
  }

  // Start every ready job up to the limit, wait for one to settle, repeat.
  const jobsFrom = Date.now()
  let unexpected: {error: unknown} | undefined
  try {
    for (;;) {
      queue.fill(
        () => stop.skipReason,
        (job) => liveJob(job, jobRun),
        (job, reason) => {
          prestart?.discard(job.name)
          emitter.emit({type: 'job.skipped', job: job.name, reason})
        },
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

  // No container outlives its run (those started ahead and not taken, finished ones being removed), and
  // results are shared before it ends: a process that exits here would cut its uploads off. None of these throws.
  const finishFrom = Date.now()
  trace.mark(options.runId, 'jobs', jobsFrom, finishFrom)
  await lookingAhead
  await Promise.all([prestart?.close(), executor.flush(), options.cache?.settleUploads()])
  const recordFrom = Date.now()
  trace.mark(options.runId, 'finish', finishFrom, recordFrom)
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
  const provenance = await attestation(options.attest)
  emitter.emit({type: 'run.finished', status, durationMs: Date.now() - started, ...(error ? {error} : {}), ...(provenance ? {provenance} : {})})
  await emitter.close()
  trace.mark(options.runId, 'record', recordFrom)
  // Raised once the record is complete: the caller reports a bug as one.
  const failure = unexpected ?? emitter.sinkFailure
  if (failure) throw failure.error
  return {status, jobs: queue.states, infraError, missingImages}
}

/** The phases before the run (`ORCA_TRACE`): the process's boot, reading and planning, opening the run. */
function traceTimeline(trace: PhaseTrace, options: RunOptions, started: number): void {
  const timeline = options.timeline
  if (!trace.on || timeline === undefined) return
  if (timeline.processStartedAt !== undefined) trace.mark(options.runId, 'boot', timeline.processStartedAt, timeline.began)
  trace.mark(options.runId, 'prepare', timeline.began, timeline.ended)
  trace.mark(options.runId, 'open', timeline.ended, started)
}

/** The attestation of a run that ended; a failure to write it (a full disk) leaves the run without one, never fails it. */
async function attestation(attest: RunOptions['attest']): Promise<ProvenanceSummary | undefined> {
  try {
    return await attest?.(new Date().toISOString())
  } catch {
    return undefined
  }
}

/**
 * The run's containers started ahead of need, made by a job's executor once it is ready (a host job's
 * starts nothing ahead; a container job whose executor is not prepared yet is made when it runs).
 */
function prestartPool(options: RunOptions, queue: ReadyQueue, executor: ExecutorSession, images: RunImages, stop: RunStop): PrestartPool {
  return new PrestartPool(
    options.plan,
    options.concurrency,
    (name) => queue.states.get(name),
    (job) =>
      executor.readyFor(job)?.prestart?.({
        runId: options.runId,
        job,
        projectDir: options.pipeline.projectDir,
        // The files the job's key hashes (and its runJob gets): an early container holding others is not taken.
        inputFiles: jobInputFiles(options.projectFiles, job),
        ...(job.outputs ? {outputFile: OUTPUT_FILE} : {}),
        cleanup: options.cleanupOverride ?? job.cleanup,
        image: imageOf(images, job),
      }),
    stop.signal,
  )
}

/** The job's image as the run makes it present; a failure is the job's own, met again when it runs. */
function imageOf(images: RunImages, job: Job): Promise<string | undefined> {
  const image = Promise.resolve().then(async () => images.forJob(job))
  image.catch(() => undefined)
  return image
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
