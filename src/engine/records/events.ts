import type {CleanupAction, JobWarning, StepResult} from '../executor/types.js'

/** Every state a job can be in (docs/running.md). */
export type JobStatus =
  | 'pending'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'cancelled'
  | 'skipped'
  | 'cached'

/** `disabled`: the job does not use the cache (`cache: false`, `--no-cache`). */
export type CacheUse = 'hit' | 'miss' | 'disabled'

/** `abandoned`: the orca process that ran it died without recording an end (see docs/history.md). */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'timed_out' | 'cancelled' | 'abandoned'

/** A job's artifacts as events and run.json describe them: the files themselves are listed by the manifest. */
export interface ArtifactsSummary {
  /** Files and links. */
  count: number
  /** Bytes of the files. */
  bytes: number
  /** The manifest file listing each artifact (path, type, mode, size, sha256), relative to the run directory. */
  manifest: string
  /** SHA-256 of the manifest file: readers check it before trusting what it lists. */
  sha256: string
}

/** The payloads of the engine's events; `seq`, `time` and `runId` are added when emitted. */
export type EventBody =
  | {
      type: 'run.started'
      targets: string[]
      /** Every job the run will settle, in plan order. */
      jobs: string[]
      file: string
      projectDir: string
      pid: number
      host: string
      orcaVersion: string
    }
  | {type: 'image.pull'; job?: string; image: string; status: string; current?: number; total?: number}
  | {
      type: 'job.started'
      job: string
      image: string
      key?: string
      /** How the cache treats the job; when absent the record infers `miss` with a key, else `disabled`. */
      cache?: CacheUse
      /** With `hit`: the run that produced the cache entry, whose recorded output is replayed. */
      cachedFrom?: string
    }
  | {type: 'job.container'; job: string; containerId: string; imageId: string}
  | {type: 'step.started'; job: string; step: number; name: string}
  /** Masked output; `text` is whole lines (ends with a newline) except at the end of a step. */
  | {
      type: 'step.output'
      job: string
      step: number
      stream: 'stdout' | 'stderr'
      text: string
      /** Output recorded when the job ran in an earlier run, replayed from the cache. */
      replayed?: true
    }
  | ({type: 'step.finished'; job: string} & StepResult)
  | ({type: 'job.artifacts'; job: string} & ArtifactsSummary)
  | {
      type: 'job.finished'
      job: string
      status: Exclude<JobStatus, 'pending' | 'running' | 'skipped'>
      durationMs: number
      cleanup: CleanupAction
      error?: {kind: string; message: string}
      /** With `cached`: the run that produced the cache entry. */
      cachedFrom?: string
      /** The job printed more than its output cap: the rest was not recorded (the job ran on). */
      logTruncated?: true
    }
  | ({type: 'job.warning'; job: string} & JobWarning)
  | {type: 'job.skipped'; job: string; reason: string}
  | {type: 'run.finished'; status: Exclude<RunStatus, 'running'>; durationMs: number; error?: {kind: string; message: string}}

/** An event as recorded in events.jsonl and streamed to reporters. */
export type OrcaEvent = EventBody & {
  /** 1-based, gap-free within a run. */
  seq: number
  /** ISO-8601 time the event was emitted. */
  time: string
  runId: string
}

/** Something that folds events: run store, reporters, cache writer, HTTP stream. */
export interface EventSink {
  handle(event: OrcaEvent): void
  /** Called once after `run.finished`; flush files, print summaries. */
  close?(): Promise<void> | void
}
