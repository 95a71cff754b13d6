import {rmSync} from 'node:fs'
import * as path from 'node:path'

import type {BlobStore} from '../artifacts/blobs.js'
import type {ArtifactEntry} from '../artifacts/manifest.js'
import {replayHit} from './replay.js'
import {usesCache} from '../cache/key.js'
import type {HostKeyOutput, HostKeyResolver} from '../executor/host/key-commands.js'
import type {KeyedJob, RunCache} from '../cache/run-cache.js'
import {OrcaError} from '../errors.js'
import {nameTable} from '../name-table.js'
import {resolveOutputReferences} from '../pipeline/output-references.js'
import {ServiceLog} from './service-log.js'
import type {JobContext, JobOutcome, Prestarted} from '../executor/types.js'
import {jobInputFiles} from '../plan/inputs.js'
import type {ProjectFiles} from '../plan/project-files.js'
import {runsOnHost, type CleanupPolicy, type Job, type RetryWhen} from '../pipeline/types.js'
import type {ManifestLocation, RunArtifacts} from './artifacts.js'
import {maskDeep, type RunEmitter} from './emitter.js'
import type {JobWarning} from '../executor/types.js'
import type {JobStatus} from '../records/events.js'
import {maskString} from './masker.js'
import {chooseNeedArtifacts} from './need-artifacts.js'
import {notInCacheMessage} from './needs-from-cache.js'
import {jobOutputs, OUTPUT_FILE, type RunOutputs} from './outputs.js'
import type {ExecutorSession} from './executor-session.js'
import {ImageUnavailableError, type RunImages} from './run-images.js'
import {relayJobEvents, type JobRecording} from './job-events.js'
import {lookupRemote, shareResult} from './job-remote.js'
import {OutputBudget} from './output.js'
import type {PrestartPool} from './prestart.js'
import type {RunStop} from './run-stop.js'
import {gitHistory, type GitHistory} from './git-history.js'
import {jobVolumeHooks, VolumeLocks} from './job-volumes.js'
import {jobEnv} from './secrets.js'

/** What every job of a run shares: where its pieces come from and where its end is told. */
export interface JobRun {
  runId: string
  projectDir: string
  projectFiles: ProjectFiles
  cache?: RunCache
  artifactsDir: (job: string) => string
  /** Where each job's artifact manifest goes. */
  serviceLogDir?: (job: string) => string
  artifactManifest: (job: string) => ManifestLocation
  /** Where artifact content is collected and read, by digest (the cache's blobs). */
  blobs: BlobStore
  /** What each settled job of the run left for its dependents. */
  artifacts: RunArtifacts
  /** What each settled job handed on as outputs. */
  outputs: RunOutputs
  /** Where each job's test reports go: the folder, and its name relative to the run directory. */
  reports: (job: string) => {dir: string; name: string}
  envOverrides: Record<string, string>
  secrets: Record<string, string>
  cleanupOverride?: CleanupPolicy
  /** `--keep-for`: over every job's `keep_for`. */
  keepForOverrideMs?: number
  force: AbortSignal
  /** `--interactive`: a failed step's container is held while this runs (see JobContext). */
  onStepFailed?: JobContext['onStepFailed']
  maxLogBytes?: number
  emitter: RunEmitter
  executor: ExecutorSession
  /** Each image of the run made present once; a job waits only for its own. */
  images: RunImages
  stop: RunStop
  /** Host jobs' key commands' output. */
  hostKey?: HostKeyResolver
  /** Containers started ahead of need (absent: each job's is made when it runs). */
  prestart?: PrestartPool
  /** Keyed volumes filled one job at a time (see job-volumes.ts). */
  volumeLocks?: VolumeLocks
  /** Keeps the run's first infrastructure error (it becomes exit code 3). */
  infraError: (error: OrcaError) => void
  /** A job failed because its image is missing: not there, and not to be pulled (the run goes on without it). */
  imageMissing: (job: string) => void
  /** Records how the job ended; the ready queue and fail-fast act on it at once. */
  settle: (job: string, status: JobStatus) => void
  /** Jobs restored from the cache and never run (`--needs-from-cache`). */
  restored?: ReadonlySet<string>
  /** Puts jobs back to pending, to run again (a need whose stored artifacts were found changed, then its dependent). */
  requeue: (jobs: string[]) => void
}

/**
 * One job's life: key → restore a hit, or take its needs' artifacts and execute → collect (its
 * artifacts' manifest; a success stored in the cache) → settle. A group job (no steps) settles without
 * an executor. Executing is the executor's `runJob` (services
 * beside the container, the steps and their conditions, artifact collection and cleanup live there).
 * A job whose key and restore need no I/O (a group) settles before this returns its promise, so the
 * ready queue's pass that started it already sees its end.
 */
export async function liveJob(job: Job, run: JobRun): Promise<void> {
  const startedAt = Date.now()
  let keyed: KeyedJob | undefined
  let needs: ReturnType<typeof chooseNeedArtifacts>
  try {
    run.images.checkBuild(job)
    keyed = run.cache?.keyJob(job, await run.images.idForKey(job), await serviceImageIds(job, run.images), await hostKeyOf(job, run))
    if (keyed) await lookupRemote(keyed, run)
    if (keyed && restoreHit(job, keyed, startedAt, run)) return run.settle(job.name, 'cached')
    if (run.restored?.has(job.name)) return notRestored(job, keyed, startedAt, run)
    const taken = takeNeedArtifacts(job, run)
    if (taken === undefined) return
    needs = chooseNeedArtifacts(job, taken)
  } catch (error) {
    return failBeforeStart(job, error, startedAt, run)
  }
  run.emitter.emit({type: 'job.started', job: job.name, image: job.image, ...(keyed ? {key: keyed.key, cache: keyed.use} : {}), ...(runsOnHost(job) ? {executor: 'host' as const} : {})})
  for (const warning of keyed?.warnings ?? []) run.emitter.emit({type: 'job.warning', job: job.name, ...warning})
  if (job.steps.length === 0) return settleGroup(job, keyed, run)
  const record: JobRecording = {output: [], warnings: []}
  // Kept with the entry like the executor's warnings: the same needs' keys clash the same way.
  for (const warning of needs.warnings) warn(job, warning, record, run)
  const budget = new OutputBudget(run.maxLogBytes)
  const ran = await executeAttempts(job, keyed, record, budget, needs.artifacts, run)
  let outcome = ran.outcome
  settleOutputs(job, outcome, record, run)
  await settleReports(job, outcome, record, run)
  outcome = collect(job, keyed, outcome, record, run)
  run.emitter.emit({
    type: 'job.finished',
    job: job.name,
    status: outcome.status,
    durationMs: Date.now() - startedAt,
    cleanup: outcome.cleanup,
    ...(outcome.error ? {error: outcome.error} : {}),
    ...(budget.truncated ? {logTruncated: true as const} : {}),
    ...(outcome.workDir !== undefined ? {workDir: outcome.workDir} : {}),
    ...(outcome.keptUntil !== undefined ? {keptUntil: outcome.keptUntil} : {}),
    ...(ran.attempt > 1 ? {attempt: ran.attempt, ...(outcome.status === 'succeeded' ? {flaky: true as const} : {})} : {}),
  })
  run.settle(job.name, outcome.status)
}

/** A hit restores the job's artifacts and replays its recorded events; false when the entry could not be restored. */
function restoreHit(job: Job, keyed: KeyedJob, startedAt: number, run: JobRun): boolean {
  if (keyed.use !== 'hit') return false
  const manifest = job.artifacts.length > 0 ? run.artifactManifest(job.name) : undefined
  const reports = job.reports ? run.reports(job.name) : undefined
  const restored = run.cache!.restore(keyed, manifest?.path, reports?.dir)
  if (!restored) return false
  replayHit(keyed, restored, startedAt, (body) => run.emitter.emit(body), manifest?.name)
  run.artifacts.restored(job.name, restored.loadArtifacts, keyed.key)
  if (job.outputs) run.outputs.set(job.name, restored.outputs ?? {})
  return true
}

/**
 * The artifacts of the job's needs, every file checked against its digest (a group job gets none).
 * A need whose stored content was changed is never handed on: its entry is removed and it runs
 * again, then this job (undefined: both were put back to pending).
 */
function takeNeedArtifacts(job: Job, run: JobRun): ArtifactEntry[][] | undefined {
  if (job.steps.length === 0) return []
  const needs = run.artifacts.forNeeds(job.needs)
  if (!('damaged' in needs)) return needs.artifacts
  if (needs.key !== undefined) run.cache?.discard(needs.key)
  if (needs.again) throw new OrcaError('infra', `the artifacts of ${needs.damaged} do not match their digests even after it ran again (${needs.reason})`)
  run.emitter.emit({
    type: 'job.warning',
    job: needs.damaged,
    kind: 'cache-damaged',
    message: `its artifacts were changed after they were stored (${needs.reason}): the cache entry was removed and the job runs again`,
  })
  run.artifacts.forget(needs.damaged)
  run.requeue([needs.damaged, job.name])
  return undefined
}

/**
 * Hashing or image inspection failed before the job started: reported like any infra failure, and the
 * run stops; an image that could not be pulled or built fails only this job.
 */
function failBeforeStart(job: Job, error: unknown, startedAt: number, run: JobRun): void {
  if (error instanceof ImageUnavailableError && error.kind !== 'cancelled') {
    run.emitter.emit({type: 'job.started', job: job.name, image: job.image})
    run.emitter.emit({type: 'job.finished', job: job.name, status: 'failed', durationMs: Date.now() - startedAt, cleanup: 'none', error: imageFailure(error)})
    if (error.made === 'pull') run.imageMissing(job.name)
    return run.settle(job.name, 'failed')
  }
  const orcaError = toInfraError(error)
  run.infraError(orcaError)
  run.stop.abort()
  run.emitter.emit({type: 'job.started', job: job.name, image: job.image, ...(runsOnHost(job) ? {executor: 'host' as const} : {})})
  run.emitter.emit({
    type: 'job.finished',
    job: job.name,
    status: 'failed',
    durationMs: Date.now() - startedAt,
    cleanup: 'none',
    error: {kind: 'infra', message: orcaError.message},
  })
  run.settle(job.name, 'failed')
}

/** A job to restore whose entry is not in the cache fails without running: under fan-out it did not succeed where it ran. */
function notRestored(job: Job, keyed: KeyedJob | undefined, startedAt: number, run: JobRun): void {
  run.emitter.emit({type: 'job.started', job: job.name, image: job.image, ...(keyed ? {key: keyed.key, cache: keyed.use} : {})})
  const error = {kind: 'not-cached', message: notInCacheMessage(keyed?.key)}
  run.emitter.emit({type: 'job.finished', job: job.name, status: 'failed', durationMs: Date.now() - startedAt, cleanup: 'none', error})
  run.settle(job.name, 'failed')
}

/** A group job succeeds once its needs did (the queue only starts it then). */
function settleGroup(job: Job, keyed: KeyedJob | undefined, run: JobRun): void {
  if (keyed) run.cache!.save(keyed, {runId: run.runId, artifacts: [], output: []})
  run.emitter.emit({type: 'job.finished', job: job.name, status: 'succeeded', durationMs: 0, cleanup: 'none'})
  run.settle(job.name, 'succeeded')
}

/** Each service's output, masked like every log of the run, into `<serviceLogDir>/<service>.log` when the run keeps files. */
function serviceLogs(job: Job, run: JobRun): (service: string) => ServiceLog {
  const dir = run.serviceLogDir?.(job.name)
  return (service) => new ServiceLog(dir === undefined ? undefined : path.join(dir, `${service}.log`), Object.values(run.secrets))
}

/** A host job's key commands' output (undefined for other jobs). */
async function hostKeyOf(job: Job, run: JobRun): Promise<HostKeyOutput[] | undefined> {
  if (!runsOnHost(job) || job.steps.length === 0) return undefined
  if (!run.hostKey) throw new OrcaError('infra', `cannot key host job ${job.name}: this run has no way to run its key commands`)
  return run.hostKey(job)
}

/** The image ID of each service of a job, by service name (pulled first when missing). */
async function serviceImageIds(job: Job, images: RunImages): Promise<Record<string, string | null>> {
  const ids = nameTable<string | null>()
  for (const service of Object.values(job.services)) ids[service.name] = await images.serviceId(service.image)
  return ids
}

/** How a job that could not get its image ended: the image's error, with what to do about it. */
function imageFailure(error: ImageUnavailableError): {kind: 'image'; message: string} {
  return {kind: 'image', message: error.hint ? `${error.message}\n  hint: ${error.hint}` : error.message}
}

/**
 * Runs the job, and again in a fresh container after each attempt its `retry:` covers, until one
 * succeeds or none is left: the job ends as its last attempt did. An attempt that is retried leaves
 * its steps in the record (a `job.retrying` event) and nothing else: its collected artifacts and
 * reports are removed, its output and warnings are not cached, its infrastructure error does not
 * become the run's. A stopping run retries nothing.
 */
async function executeAttempts(
  job: Job,
  keyed: KeyedJob | undefined,
  record: JobRecording,
  budget: OutputBudget,
  needArtifacts: ArtifactEntry[][],
  run: JobRun,
): Promise<{outcome: JobOutcome; attempt: number}> {
  const maxAttempts = (job.retry?.max ?? 0) + 1
  const warningsBefore = record.warnings.length
  for (let attempt = 1; ; attempt++) {
    const startedAt = Date.now()
    const outcome = await execute(job, keyed, record, budget, needArtifacts, run, attempt)
    const reason = retryReason(outcome)
    if (attempt >= maxAttempts || reason === undefined || !job.retry!.when.includes(reason) || run.stop.signal.aborted) {
      if (outcome.error?.kind === 'infra') run.infraError(new OrcaError('infra', outcome.error.message))
      return {outcome, attempt}
    }
    run.emitter.emit({
      type: 'job.retrying',
      job: job.name,
      attempt,
      maxAttempts,
      status: outcome.status as 'failed' | 'timed_out',
      durationMs: Date.now() - startedAt,
      ...(outcome.error ? {error: outcome.error} : {}),
    })
    rmSync(run.artifactsDir(job.name), {recursive: true, force: true})
    rmSync(run.reports(job.name).dir, {recursive: true, force: true})
    record.output = []
    record.warnings.length = warningsBefore
  }
}

/** Which of `retry.when` an attempt's end is; undefined for an end never retried (a success, a cancel, an image that could not be made present). */
export function retryReason(outcome: Pick<JobOutcome, 'status' | 'error'>): RetryWhen | undefined {
  if (outcome.status === 'timed_out') return 'timed_out'
  if (outcome.status !== 'failed') return undefined
  // The run makes each image present once: another attempt would meet the same failure.
  if (outcome.error?.kind === 'image') return undefined
  return outcome.error?.kind === 'infra' || outcome.error?.kind === 'service' ? 'infra' : 'failure'
}

/** Runs the job in the run's executor; an executor that throws fails the job and stops the run. */
async function execute(
  job: Job,
  keyed: KeyedJob | undefined,
  record: JobRecording,
  budget: OutputBudget,
  needArtifacts: ArtifactEntry[][],
  run: JobRun,
  attempt: number,
): Promise<JobOutcome> {
  let outcome: JobOutcome
  let history: GitHistory | undefined
  let prestarted: Prestarted | undefined
  try {
    const executor = await run.executor.get(job)
    // The job's own image only (a host job has none); a build's output goes to this job's log as it comes, once.
    const onBuildOutput = attempt === 1 ? (text: string) => run.emitter.emit({type: 'image.build', job: job.name, image: job.image, text}) : undefined
    const imageId = runsOnHost(job) ? undefined : await run.images.forJob(job, onBuildOutput)
    // Only the first attempt takes a container started ahead; a retried one gets a fresh container.
    prestarted = attempt === 1 ? run.prestart?.take(job.name) : undefined
    // Its dependents' containers start ahead once its own has started (a host job has none to wait for).
    let announced = false
    const containerStarted = (): void => {
      if (announced) return
      announced = true
      run.prestart?.executing(job.name)
    }
    if (runsOnHost(job)) containerStarted()
    // Made for each attempt: a step may have changed nothing of it, but each attempt starts clean.
    // Exactly the files the key hashed, so a job cannot depend on a file its key does not cover.
    const inputFiles = keyed ? keyed.inputs.map((i) => i.path) : jobInputFiles(run.projectFiles, job)
    if (job.git) history = await gitHistory(run.projectDir, job.git, inputFiles)
    const volumeCache = runsOnHost(job) ? undefined : jobVolumeHooks(job, run.cache, (run.volumeLocks ??= new VolumeLocks()), run.emitter, run)
    outcome = await executor.runJob({
      runId: run.runId,
      ...(imageId !== undefined ? {imageId} : {}),
      // Needs' outputs in env values are known now, not when the job was keyed (its needs' keys cover them).
      job: withNeedOutputs(job, run.outputs),
      attempt,
      projectDir: run.projectDir,
      inputFiles,
      needArtifacts,
      blobs: run.blobs,
      ...(history ? {gitDir: history.gitDir} : {}),
      artifactsDir: run.artifactsDir(job.name),
      reportsDir: run.reports(job.name).dir,
      ...(job.outputs ? {outputFile: OUTPUT_FILE} : {}),
      ...(run.emitter.secrets.length > 0 ? {maskPath: (path: string) => maskString(path, run.emitter.secrets)} : {}),
      env: {
        ...jobEnv(withNeedOutputs(job, run.outputs), run.envOverrides, run.secrets),
        ...(job.outputs ? {ORCA_OUTPUT: OUTPUT_FILE} : {}),
        // A job that may run again can tell its attempts apart.
        ...(job.retry ? {ORCA_JOB_ATTEMPT: String(attempt)} : {}),
      },
      cleanup: run.cleanupOverride ?? job.cleanup,
      ...keepFor(run.keepForOverrideMs ?? job.keepForMs),
      secrets: run.secrets,
      serviceLog: serviceLogs(job, run),
      cancel: run.stop.signal,
      force: run.force,
      ...(run.onStepFailed ? {onStepFailed: run.onStepFailed} : {}),
      ...(prestarted ? {prestarted} : {}),
      ...(volumeCache ? {volumeCache} : {}),
      // The scheduler flushes the executor before the run ends.
      removeInBackground: true,
      onContainerStarted: containerStarted,
      emit: relayJobEvents(job.name, run.emitter, budget, record, keyed !== undefined && usesCache(keyed.job), attempt),
    })
  } catch (error) {
    if (error instanceof ImageUnavailableError && error.kind !== 'cancelled') {
      if (error.made === 'pull') run.imageMissing(job.name)
      return {status: 'failed', steps: [], artifacts: [], cleanup: 'none', error: imageFailure(error)}
    }
    const orcaError = toInfraError(error)
    run.infraError(orcaError)
    run.stop.abort()
    outcome = {status: 'failed', steps: [], artifacts: [], cleanup: 'none', error: {kind: 'infra', message: orcaError.message}}
  } finally {
    history?.dispose()
  }
  // A job that ended before taking its early container (cancelled first) has it removed.
  await prestarted?.discard()
  return outcome
}

/**
 * Writes the manifest of what the job collected: a success's (a manifest that cannot be written fails
 * the job), or the artifacts `artifacts.when` collected from a failed or timed-out job, which go to the
 * run directory only. Then stores a success in the cache; failed, timed-out and cancelled jobs never are.
 */
function collect(job: Job, keyed: KeyedJob | undefined, outcome: JobOutcome, record: JobRecording, run: JobRun): JobOutcome {
  const succeeded = outcome.status === 'succeeded'
  if ((succeeded && job.artifacts.length > 0) || (!succeeded && outcome.artifacts.length > 0)) {
    try {
      const summary = run.artifacts.ran(job.name, outcome.artifacts, succeeded && keyed && usesCache(keyed.job) ? keyed.key : undefined)
      run.emitter.emit({type: 'job.artifacts', job: job.name, ...summary})
    } catch (error) {
      const message = `cannot write the artifact manifest: ${(error as Error).message}`
      if (!succeeded) warn(job, {kind: 'collect-failed', message}, record, run)
      else return {...outcome, status: 'failed', error: {kind: 'artifact', message}}
    }
  }
  if (keyed && outcome.status === 'succeeded') {
    if (run.cache!.save(keyed, {runId: run.runId, artifacts: outcome.artifacts, ...record}) === undefined) shareResult(keyed, run)
    run.cache!.completed(keyed, outcome.artifacts, record.outputs)
  }
  return outcome
}

/** Emits a warning of the job and keeps it with what the cache stores. */
function warn(job: Job, warning: JobWarning, record: JobRecording, run: JobRun): void {
  record.warnings.push(run.emitter.secrets.length > 0 ? maskDeep(warning, run.emitter.secrets) : warning)
  run.emitter.emit({type: 'job.warning', job: job.name, ...warning})
}

/** The job's declared outputs from what its steps wrote: handed to dependents, told in an event (masked), kept for the cache. */
function settleOutputs(job: Job, outcome: JobOutcome, record: JobRecording, run: JobRun): void {
  if (!job.outputs) return
  const {values, warnings} = jobOutputs(outcome.outputText ?? '', job.outputs, run.emitter.secrets)
  for (const warning of warnings) warn(job, warning, record, run)
  run.outputs.set(job.name, values)
  record.outputs = values
  run.emitter.emit({type: 'job.outputs', job: job.name, outputs: values})
}

/** The job's JUnit reports, read from the run directory: told in an event with their counts, kept for the cache. */
async function settleReports(job: Job, outcome: JobOutcome, record: JobRecording, run: JobRun): Promise<void> {
  if (!job.reports || outcome.reports === undefined) return
  const {dir, name} = run.reports(job.name)
  // Loaded here, not with the scheduler: the XML reader is a large part of a run's start-up and only
  // jobs with reports need it (docs/performance.md).
  const {junitReports} = await import('./job-reports.js')
  const {junit, warnings} = junitReports(outcome.reports, dir, name)
  for (const warning of warnings) warn(job, warning, record, run)
  record.reports = {junit, files: outcome.reports}
  run.emitter.emit({type: 'job.reports', job: job.name, junit})
}

/** The job with `${{ needs.JOB.outputs.NAME }}` in its env values (and its steps') replaced by what the needs handed on. */
export function withNeedOutputs(job: Job, outputs: RunOutputs): Job {
  const resolve = (env: Record<string, string>): Record<string, string> =>
    nameTable(Object.fromEntries(Object.entries(env).map(([key, value]) => [key, resolveOutputReferences(value, (need) => outputs.get(need))])))
  return {...job, env: resolve(job.env), steps: job.steps.map((step) => ({...step, env: resolve(step.env)}))}
}

function toInfraError(error: unknown): OrcaError {
  if (error instanceof OrcaError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new OrcaError('infra', message, {cause: error})
}

function keepFor(ms: number | undefined): {keepForMs?: number} {
  return ms === undefined ? {} : {keepForMs: ms}
}
