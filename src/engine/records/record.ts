import type {CleanupAction, StepStatus} from '../executor/types.js'
import {nameTable, ownValue} from '../name-table.js'
import type {JobWarning} from '../executor/types.js'
import type {ArtifactsSummary, CacheUse, JobStatus, OrcaEvent, ProvenanceSummary, RunStatus, TestCounts, VolumeEvent} from './events.js'

/** One step of a job as recorded in run.json. */
export interface StepRecord {
  /** 0-based position in the job's steps. */
  index: number
  name: string
  status: StepStatus | 'running'
  /** null until the step finishes, and when it did not exit by itself (timed out, cancelled, skipped). */
  exitCode: number | null
  startedAt: string | null
  durationMs: number | null
  allowFailure: boolean
}

export interface ErrorRecord {
  kind: string
  message: string
}

/** A job's artifacts in run.json; `manifest` and `sha256` are null for runs recorded before manifests existed. */
export type ArtifactsRecord = Omit<ArtifactsSummary, 'manifest' | 'sha256'> & {manifest: string | null; sha256: string | null}

/** A warning as recorded in run.json: fields a warning does not have are null. */
export interface WarningRecord {
  kind: JobWarning['kind']
  message: string
  path: string | null
  target: string | null
}

/** One attempt of a job with `retry:`, as recorded in run.json. */
export interface AttemptRecord {
  /** From 1. */
  attempt: number
  status: JobStatus
  startedAt: string | null
  finishedAt: string | null
  durationMs: number | null
  containerId: string | null
  steps: StepRecord[]
  error: ErrorRecord | null
}

/** Warnings recorded per job at most: a bound on run.json (sources sum up long lists themselves). */
export const MAX_WARNINGS = 100

/** One job of a run as recorded in run.json. Unknown values are `null`, never absent. */
export interface JobRecord {
  status: JobStatus
  /** What the views show: `name:`, or a matrix expansion's (`test (node=20, db=pg)`); null = the job's name. */
  displayName: string | null
  /** For an expansion of a matrix job: the job as written and this combination's values. */
  matrix: {job: string; values: Record<string, string>} | null
  key: string | null
  cache: CacheUse | null
  image: string | null
  imageId: string | null
  containerId: string | null
  startedAt: string | null
  finishedAt: string | null
  durationMs: number | null
  steps: StepRecord[]
  /** Null when the job collected none (no artifact globs, or it did not succeed). */
  artifacts: ArtifactsRecord | null
  cleanup: CleanupAction | null
  error: ErrorRecord | null
  skippedReason: string | null
  /** With status `cached`: the run that produced the cache entry. */
  cachedFrom: string | null
  /** The job printed more than its output cap; its log ends with a truncation marker. */
  logTruncated: boolean
  /** What the job was warned about, in order (see JobWarning). */
  warnings: WarningRecord[]
  /** What the job handed to its dependents (masked); null when it declares no outputs. */
  outputs: Record<string, string> | null
  /** Its JUnit reports' counts and files (relative to the run directory); null when it had none collected. */
  reports: {junit: TestCounts & {files: string[]}} | null
  /** Where its steps ran: `docker` (a container) or `host` (`runs-on: host`); null until it starts. */
  executor: 'docker' | 'host' | null
  /** A host job kept by its cleanup policy: the folder it ran in; null otherwise. */
  workDir: string | null
  /** A container kept by policy with `keep_for`: when it may be removed (ISO time); null otherwise. */
  keptUntil: string | null
  /**
   * With retries, every attempt in order, the last being the job's own end (whose steps and container
   * are also the job's); empty when it ran once.
   */
  attempts: AttemptRecord[]
  /** It succeeded after an attempt that did not. */
  flaky: boolean
  /** What the remote cache did for the job; null when it was not asked. */
  remoteCache: {
    lookup?: {result: string; bytes?: number; reason?: string}
    upload?: {result: string; bytes: number; blobs: number; reason?: string}
  } | null
  /** What the cache did for the job's keyed volumes, by volume name; null when nothing was restored or saved. */
  volumes: Record<string, VolumeRecord> | null
}

/** A keyed volume of a job in the run record. */
export interface VolumeRecord {
  key: string
  restored?: {source: 'local' | 'remote'; bytes: number; downloaded?: number}
  saved?: {bytes: number}
  upload?: {result: string; bytes: number; reason?: string}
}

/** The run record, `run.json`: a fold of the run's events (`schemas/run-record.schema.json`). */
export interface RunRecord {
  id: string
  status: RunStatus
  targets: string[]
  file: string | null
  projectDir: string | null
  host: string | null
  pid: number | null
  orcaVersion: string | null
  startedAt: string
  finishedAt: string | null
  durationMs: number | null
  error: ErrorRecord | null
  /** `seq` of the last event folded in: events.jsonl holds at least this many events. */
  lastSeq: number
  /** Keyed by job name, in plan order. */
  jobs: Record<string, JobRecord>
  /** The run's attestation (docs/provenance.md) once it finished; null before, or when none was written. */
  provenance: ProvenanceSummary | null
}

/** The record a run has before anything is known about it. */
export function emptyRunRecord(runId: string, time: string): RunRecord {
  return {
    id: runId,
    status: 'running',
    targets: [],
    file: null,
    projectDir: null,
    host: null,
    pid: null,
    orcaVersion: null,
    startedAt: time,
    finishedAt: null,
    durationMs: null,
    error: null,
    lastSeq: 0,
    jobs: {},
    provenance: null,
  }
}

export function pendingJobRecord(): JobRecord {
  return {
    status: 'pending',
    displayName: null,
    matrix: null,
    key: null,
    cache: null,
    image: null,
    imageId: null,
    containerId: null,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    steps: [],
    artifacts: null,
    cleanup: null,
    error: null,
    skippedReason: null,
    cachedFrom: null,
    logTruncated: false,
    warnings: [],
    outputs: null,
    reports: null,
    executor: null,
    workDir: null,
    keptUntil: null,
    attempts: [],
    flaky: false,
    remoteCache: null,
    volumes: null,
  }
}

/**
 * Folds one event into the record and returns the new record; never mutates its input (unchanged
 * parts are shared). `run.json` is `events.reduce(foldEvent, undefined)`.
 */
export function foldEvent(record: RunRecord | undefined, event: OrcaEvent): RunRecord {
  const base = record ?? emptyRunRecord(event.runId, event.time)
  const next: RunRecord = {...base, lastSeq: Math.max(base.lastSeq, event.seq)}
  switch (event.type) {
    case 'run.started': {
      const jobs = nameTable<JobRecord>()
      for (const name of event.jobs) {
        const matrix = ownValue(event.matrix, name)
        jobs[name] = {
          ...(ownValue(base.jobs, name) ?? pendingJobRecord()),
          displayName: ownValue(event.displayNames, name) ?? null,
          matrix: matrix ? {job: matrix.job, values: nameTable(matrix.values)} : null,
        }
      }
      for (const [name, job] of Object.entries(base.jobs)) jobs[name] ??= job
      return {
        ...next,
        targets: [...event.targets],
        file: event.file,
        projectDir: event.projectDir,
        host: event.host,
        pid: event.pid,
        orcaVersion: event.orcaVersion,
        startedAt: event.time,
        jobs,
      }
    }
    case 'job.started':
      return withJob(next, event.job, (job) => ({
        ...job,
        status: 'running',
        image: event.image,
        executor: event.executor ?? 'docker',
        key: event.key ?? job.key,
        cache: event.cache ?? (event.key === undefined ? 'disabled' : 'miss'),
        startedAt: event.time,
      }))
    case 'job.container':
      return withJob(next, event.job, (job) => ({...job, containerId: event.containerId, imageId: event.imageId}))
    case 'step.started':
      return withJob(next, event.job, (job) =>
        withStep(job, event.step, (step) => ({...step, name: event.name, status: 'running', startedAt: event.time})),
      )
    case 'step.finished':
      return withJob(next, event.job, (job) =>
        withStep(job, event.index, (step) => ({
          ...step,
          name: event.name,
          status: event.status,
          exitCode: event.exitCode,
          durationMs: event.durationMs,
          allowFailure: event.allowFailure,
        })),
      )
    case 'job.artifacts':
      return withJob(next, event.job, (job) => ({...job, artifacts: {count: event.count, bytes: event.bytes, manifest: event.manifest, sha256: event.sha256}}))
    case 'job.outputs':
      return withJob(next, event.job, (job) => ({...job, outputs: nameTable(event.outputs)}))
    case 'job.reports': {
      const {tests, failures, errors, skipped, files} = event.junit
      return withJob(next, event.job, (job) => ({...job, reports: {junit: {tests, failures, errors, skipped, files: files.map((f) => f.path)}}}))
    }
    case 'job.retrying':
      // The attempt's steps and container move to its record; the next attempt starts with none.
      return withJob(next, event.job, (job) => ({
        ...job,
        attempts: [...job.attempts, attemptOf(job, event.attempt, event.status, event.time, event.durationMs, event.error)],
        steps: [],
        containerId: null,
      }))
    case 'job.finished':
      return withJob(next, event.job, (job) => ({
        ...job,
        ...(event.attempt === undefined ? {} : {attempts: [...job.attempts, attemptOf(job, event.attempt, event.status, event.time, null, event.error)]}),
        flaky: event.flaky === true,
        status: event.status,
        cache: event.status === 'cached' ? 'hit' : job.cache,
        startedAt: job.startedAt ?? event.time,
        finishedAt: event.time,
        durationMs: event.durationMs,
        cleanup: event.cleanup,
        error: event.error ? {kind: event.error.kind, message: event.error.message} : null,
        cachedFrom: event.cachedFrom ?? null,
        logTruncated: event.logTruncated === true,
        workDir: event.workDir ?? null,
        keptUntil: event.keptUntil ?? null,
      }))
    case 'job.warning':
      return withJob(next, event.job, (job) =>
        job.warnings.length >= MAX_WARNINGS ? job : {...job, warnings: [...job.warnings, {kind: event.kind, message: event.message, path: event.path ?? null, target: event.target ?? null}]},
      )
    case 'job.skipped':
      return withJob(next, event.job, (job) => ({
        ...job,
        status: 'skipped',
        finishedAt: event.time,
        skippedReason: event.reason,
      }))
    case 'run.finished':
      return {
        ...next,
        status: event.status,
        finishedAt: event.time,
        durationMs: event.durationMs,
        error: event.error ? {kind: event.error.kind, message: event.error.message} : null,
        jobs: settleJobs(next.jobs, event.time),
        provenance: event.provenance ?? null,
      }
    case 'cache.remote':
      return withJob(next, event.job, (job) => ({
        ...job,
        remoteCache: {
          ...job.remoteCache,
          [event.op]: {
            result: event.result,
            ...(event.bytes !== undefined ? {bytes: event.bytes} : {}),
            ...(event.op === 'upload' ? {blobs: event.blobs} : {}),
            ...(event.reason !== undefined ? {reason: event.reason} : {}),
          },
        },
      }))
    case 'volume.restored':
    case 'volume.saved':
      return withJob(next, event.job, (job) => ({...job, volumes: foldVolume(job.volumes, event)}))
    case 'image.pull':
    case 'image.build':
    case 'image.ready':
    case 'image.failed':
    case 'step.output':
      return next
  }
}

/** A record written by an earlier version of orca, with the fields it lacked filled in as a fold would. */
export function upgradeRecord(record: RunRecord): RunRecord {
  const jobs = nameTable<JobRecord>()
  for (const [name, job] of Object.entries(record.jobs ?? {})) {
    jobs[name] = {...pendingJobRecord(), ...job, warnings: job.warnings ?? [], artifacts: upgradeArtifacts(job.artifacts)}
  }
  return {...record, jobs, provenance: record.provenance ?? null}
}

/** Before manifests, run.json listed every artifact: its count and bytes are what is kept of it. */
function upgradeArtifacts(artifacts: ArtifactsRecord | Array<{size: number}> | null | undefined): ArtifactsRecord | null {
  if (!Array.isArray(artifacts)) return artifacts ?? null
  if (artifacts.length === 0) return null
  return {count: artifacts.length, bytes: artifacts.reduce((n, a) => n + a.size, 0), manifest: null, sha256: null}
}

/** Folds a whole event log. */
export function foldEvents(events: Iterable<OrcaEvent>): RunRecord | undefined {
  let record: RunRecord | undefined
  for (const event of events) record = foldEvent(record, event)
  return record
}

/** True for events that change a job's or the run's state (worth an immediate run.json rewrite). */
export function isStateChange(event: OrcaEvent): boolean {
  return event.type.startsWith('run.') || event.type === 'job.started' || event.type === 'job.finished' || event.type === 'job.skipped'
}

/** The record of job `name`, if the run has one (a job named `constructor` is a job, not Object's). */
export function jobRecordOf(record: RunRecord | undefined, name: string): JobRecord | undefined {
  return ownValue(record?.jobs, name)
}

/** An attempt that ended at `time`: it began when the one before it ended (the first, with the job). */
function attemptOf(job: JobRecord, attempt: number, status: JobStatus, time: string, durationMs: number | null, error: ErrorRecord | undefined): AttemptRecord {
  const startedAt = job.attempts.at(-1)?.finishedAt ?? job.startedAt
  const took = durationMs ?? (startedAt === null ? null : Math.max(0, Date.parse(time) - Date.parse(startedAt)))
  return {
    attempt,
    status,
    startedAt,
    finishedAt: time,
    durationMs: took,
    containerId: job.containerId,
    steps: job.steps,
    error: error ? {kind: error.kind, message: error.message} : null,
  }
}

function withJob(record: RunRecord, name: string, update: (job: JobRecord) => JobRecord): RunRecord {
  const current = jobRecordOf(record, name) ?? pendingJobRecord()
  return {...record, jobs: nameTable(record.jobs, {[name]: update(current)})}
}

function withStep(job: JobRecord, index: number, update: (step: StepRecord) => StepRecord): JobRecord {
  const existing = job.steps.find((s) => s.index === index)
  const current: StepRecord = existing ?? {
    index,
    name: '',
    status: 'running',
    exitCode: null,
    startedAt: null,
    durationMs: null,
    allowFailure: false,
  }
  const steps = [...job.steps.filter((s) => s.index !== index), update(current)].sort((a, b) => a.index - b.index)
  return {...job, steps}
}

/**
 * A finished run leaves no job `pending` or `running`: the scheduler normally reports every job,
 * but a record must stay truthful even if it did not (a crash between events).
 */
function settleJobs(jobs: Record<string, JobRecord>, time: string): Record<string, JobRecord> {
  const settled = nameTable<JobRecord>()
  for (const [name, job] of Object.entries(jobs)) {
    if (job.status === 'running') {
      settled[name] = {
        ...job,
        status: 'cancelled',
        finishedAt: time,
        steps: job.steps.map((s) => (s.status === 'running' ? {...s, status: 'cancelled'} : s)),
      }
    } else if (job.status === 'pending') {
      settled[name] = {...job, status: 'skipped', finishedAt: time, skippedReason: job.skippedReason ?? 'the run ended first'}
    } else {
      settled[name] = job
    }
  }
  return settled
}

/** A volume event into the job's volumes (a name table: volume names are users' names). */
function foldVolume(volumes: Record<string, VolumeRecord> | null, event: VolumeEvent): Record<string, VolumeRecord> {
  const next = nameTable<VolumeRecord>()
  Object.assign(next, volumes)
  const earlier = volumes !== null && Object.hasOwn(volumes, event.volume) ? volumes[event.volume]! : undefined
  const volume: VolumeRecord = {...earlier, key: event.key}
  if (event.type === 'volume.restored') volume.restored = {source: event.source, bytes: event.bytes, ...(event.downloaded !== undefined ? {downloaded: event.downloaded} : {})}
  else if (event.to === 'local') volume.saved = {bytes: event.bytes}
  else volume.upload = {result: event.result ?? 'uploaded', bytes: event.bytes, ...(event.reason !== undefined ? {reason: event.reason} : {})}
  next[event.volume] = volume
  return next
}
