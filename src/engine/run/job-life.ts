import {replayHit} from './replay.js'
import type {BlobStore} from '../artifacts/blobs.js'
import type {ArtifactEntry} from '../artifacts/manifest.js'
import type {ManifestLocation, RunArtifacts} from './artifacts.js'
import {maskString} from './masker.js'
import type {KeyedJob, RunCache} from '../cache/run-cache.js'
import {OrcaError} from '../errors.js'
import type {JobOutcome} from '../executor/types.js'
import {selectInputs} from '../plan/inputs.js'
import type {ProjectFiles} from '../plan/project-files.js'
import type {CleanupPolicy, Job} from '../pipeline/types.js'
import type {RunEmitter} from './emitter.js'
import type {JobStatus} from '../records/events.js'
import type {ExecutorSession} from './executor-session.js'
import {relayJobEvents, type JobRecording} from './job-events.js'
import {OutputBudget} from './output.js'
import type {RunStop} from './run-stop.js'
import {jobEnv} from './secrets.js'

/** What every job of a run shares: where its pieces come from and where its end is told. */
export interface JobRun {
  runId: string
  projectDir: string
  projectFiles: ProjectFiles
  cache?: RunCache
  artifactsDir: (job: string) => string
  artifactManifest: (job: string) => ManifestLocation
  blobs: BlobStore
  envOverrides: Record<string, string>
  secrets: Record<string, string>
  cleanupOverride?: CleanupPolicy
  force: AbortSignal
  maxLogBytes?: number
  emitter: RunEmitter
  executor: ExecutorSession
  stop: RunStop
  /** Keeps the run's first infrastructure error (it becomes exit code 3). */
  infraError: (error: OrcaError) => void
  /** Each settled job's artifacts, for its dependents. */
  artifacts: RunArtifacts
  /** Records how the job ended; the ready queue and fail-fast act on it at once. */
  settle: (job: string, status: JobStatus) => void
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
  let needArtifacts: ArtifactEntry[][]
  try {
    keyed = run.cache?.keyJob(job, job.steps.length === 0 ? null : await run.executor.imageIdOf(job.image))
    if (keyed && restoreHit(job, keyed, startedAt, run)) return run.settle(job.name, 'cached')
    const needs = takeNeedArtifacts(job, run)
    if (needs === undefined) return
    needArtifacts = needs
  } catch (error) {
    return failBeforeStart(job, error, startedAt, run)
  }
  run.emitter.emit({type: 'job.started', job: job.name, image: job.image, ...(keyed ? {key: keyed.key, cache: keyed.use} : {})})
  for (const warning of keyed?.warnings ?? []) run.emitter.emit({type: 'job.warning', job: job.name, ...warning})
  if (job.steps.length === 0) return settleGroup(job, keyed, run)
  const record: JobRecording = {output: [], warnings: []}
  const budget = new OutputBudget(run.maxLogBytes)
  const outcome = collect(job, keyed, await execute(job, keyed, needArtifacts, record, budget, run), record, run)
  run.emitter.emit({
    type: 'job.finished',
    job: job.name,
    status: outcome.status,
    durationMs: Date.now() - startedAt,
    cleanup: outcome.cleanup,
    ...(outcome.error ? {error: outcome.error} : {}),
    ...(budget.truncated ? {logTruncated: true as const} : {}),
  })
  run.settle(job.name, outcome.status)
}

/** A hit restores the job's artifacts and replays its recorded events; false when the entry could not be restored. */
function restoreHit(job: Job, keyed: KeyedJob, startedAt: number, run: JobRun): boolean {
  if (keyed.use !== 'hit') return false
  const manifest = job.artifacts.length > 0 ? run.artifactManifest(job.name) : undefined
  const restored = run.cache!.restore(keyed, manifest?.path)
  if (!restored) return false
  replayHit(keyed, restored, startedAt, (body) => run.emitter.emit(body), manifest?.name)
  run.artifacts.restored(job.name, restored.loadArtifacts, keyed.key)
  return true
}

/**
 * The artifacts of the job's needs, each file checked against its digest (a group job gets none).
 * A need whose stored artifacts changed is never handed on: its entry is removed and it runs again,
 * then this job (undefined: requeued); changed again after that, the job fails.
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

/** Hashing or image inspection failed before the job started: reported like any infra failure, and the run stops. */
function failBeforeStart(job: Job, error: unknown, startedAt: number, run: JobRun): void {
  const orcaError = toInfraError(error)
  run.infraError(orcaError)
  run.stop.abort()
  run.emitter.emit({type: 'job.started', job: job.name, image: job.image})
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

/** A group job succeeds once its needs did (the queue only starts it then). */
function settleGroup(job: Job, keyed: KeyedJob | undefined, run: JobRun): void {
  if (keyed) run.cache!.save(keyed, {runId: run.runId, artifacts: [], output: []})
  run.emitter.emit({type: 'job.finished', job: job.name, status: 'succeeded', durationMs: 0, cleanup: 'none'})
  run.settle(job.name, 'succeeded')
}

/** Runs the job in the run's executor; an executor that throws fails the job and stops the run. */
async function execute(
  job: Job,
  keyed: KeyedJob | undefined,
  needArtifacts: ArtifactEntry[][],
  record: JobRecording,
  budget: OutputBudget,
  run: JobRun,
): Promise<JobOutcome> {
  const secrets = run.emitter.secrets
  let outcome: JobOutcome
  try {
    const executor = await run.executor.get()
    outcome = await executor.runJob({
      runId: run.runId,
      job,
      projectDir: run.projectDir,
      // Exactly the files the key hashed, so a job cannot depend on a file its key does not cover.
      inputFiles: keyed ? keyed.inputs.map((i) => i.path) : selectInputs(run.projectFiles, job.inputs),
      needArtifacts,
      blobs: run.blobs,
      artifactsDir: run.artifactsDir(job.name),
      ...(secrets.length > 0 ? {maskPath: (path: string) => maskString(path, secrets)} : {}),
      env: jobEnv(job, run.envOverrides, run.secrets),
      cleanup: run.cleanupOverride ?? job.cleanup,
      cancel: run.stop.signal,
      force: run.force,
      emit: relayJobEvents(job.name, run.emitter, budget, record, keyed?.job.cache === true),
    })
  } catch (error) {
    const orcaError = toInfraError(error)
    run.infraError(orcaError)
    run.stop.abort()
    outcome = {status: 'failed', steps: [], artifacts: [], cleanup: 'none', error: {kind: 'infra', message: orcaError.message}}
  }
  if (outcome.error?.kind === 'infra') run.infraError(new OrcaError('infra', outcome.error.message))
  return outcome
}

/**
 * A succeeded job's artifacts get their manifest in the run directory (a manifest that cannot be
 * written fails the job), and only a succeeded job is stored; failed, timed-out and cancelled ones never are.
 */
function collect(job: Job, keyed: KeyedJob | undefined, executed: JobOutcome, record: JobRecording, run: JobRun): JobOutcome {
  let outcome = executed
  if (outcome.status === 'succeeded' && job.artifacts.length > 0) {
    try {
      const summary = run.artifacts.ran(job.name, outcome.artifacts, keyed?.job.cache ? keyed.key : undefined)
      run.emitter.emit({type: 'job.artifacts', job: job.name, ...summary})
    } catch (error) {
      outcome = {...outcome, status: 'failed', error: {kind: 'artifact', message: `cannot write the artifact manifest: ${(error as Error).message}`}}
    }
  }
  if (keyed && outcome.status === 'succeeded') {
    run.cache!.save(keyed, {runId: run.runId, artifacts: outcome.artifacts, ...record})
    run.cache!.completed(keyed, outcome.artifacts)
  }
  return outcome
}

function toInfraError(error: unknown): OrcaError {
  if (error instanceof OrcaError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new OrcaError('infra', message, {cause: error})
}
