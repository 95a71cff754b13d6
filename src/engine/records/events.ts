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

/** What run.finished and run.json say of the attestation. */
export interface ProvenanceSummary {
  /** Relative to the run directory. */
  path: string
  /** SHA-256 of the file. */
  sha256: string
  signed: boolean
  /** The signing key's id (keyIdOf), null when unsigned. */
  keyId: string | null
}

/** One testcase of a JUnit report, as the views need it. */
export interface TestCaseResult {
  /** The `<testsuite>` it was in (its name, or the file's path). */
  suite: string
  name: string
  classname?: string
  /** Seconds. */
  time?: number
  outcome: 'passed' | 'failed' | 'error' | 'skipped'
  message?: string
  /** The failure's text (cut to a few KiB). */
  details?: string
  /** Where the failure is, when the report says (a `file` and `line` attribute, as many runners write). */
  file?: string
  line?: number
}

/** Counts of a job's JUnit reports: testcases, and those that failed, errored or were skipped. */
export interface TestCounts {
  tests: number
  failures: number
  errors: number
  skipped: number
}

/** A job's collected JUnit reports: the files (in the run directory), their counts and their testcases. */
export interface JunitReports extends TestCounts {
  /** Each file, relative to the run directory (`reports/<job>/<path>`), with its size and digest. */
  files: Array<{path: string; bytes: number; sha256: string}>
  cases: TestCaseResult[]
  /** Testcases counted but left out of `cases` (past the cap a run record keeps per job). */
  casesOmitted?: number
}

/** What the remote cache did for a job (docs/caching.md). */
export type RemoteCacheEvent =
  | {
      type: 'cache.remote'
      job: string
      key: string
      op: 'lookup'
      /** `hit`: downloaded and checked, restored as a local hit; the others leave the job a miss. */
      result: 'hit' | 'miss' | 'untrusted' | 'damaged' | 'unavailable'
      durationMs: number
      /** With `hit`: what was downloaded (content the local cache already held is not). */
      bytes?: number
      blobs?: number
      reason?: string
    }
  | {
      type: 'cache.remote'
      job: string
      key: string
      op: 'upload'
      /** `exists`: the remote already had the entry; `failed`: it was not shared (the run is not failed for it). */
      result: 'uploaded' | 'exists' | 'failed'
      durationMs: number
      /** What was sent: blobs the remote already held are not sent again. */
      bytes: number
      blobs: number
      reason?: string
    }

/** What the cache did for a job's keyed volume (docs/caching.md). */
export type VolumeEvent =
  | {
      type: 'volume.restored'
      job: string
      /** The volume's name in jobs.yml. */
      volume: string
      key: string
      /** Where the entry came from: the local cache, or the remote (downloaded into the local cache first). */
      source: 'local' | 'remote'
      /** Bytes of the volume's tar (downloaded from the remote: `downloaded`). */
      bytes: number
      downloaded?: number
      durationMs: number
    }
  | {
      type: 'volume.saved'
      job: string
      volume: string
      key: string
      /** `local`: stored in the local cache after the job succeeded; `remote`: that entry uploaded (in the background). */
      to: 'local' | 'remote'
      /** With `remote`: `exists` when the remote already had it; `failed` (with a reason) when it was not shared. */
      result?: 'uploaded' | 'exists' | 'failed'
      bytes: number
      durationMs: number
      reason?: string
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
      /** What the views show for jobs that have a display name (`name:`, a matrix expansion's), by job. */
      displayNames?: Record<string, string>
      /** For each expansion of a matrix job: the matrix job as written and the combination's values. */
      matrix?: Record<string, {job: string; values: Record<string, string>}>
    }
  | {type: 'image.pull'; job?: string; image: string; status: string; layer?: string; current?: number; total?: number}
  /** Output of building an image, told to each job that waits for it (it goes to that job's log). */
  | {type: 'image.build'; job?: string; image: string; text: string}
  /** An image is present for the jobs that use it: found, pulled or built (or reused by its tag), with its ID and how long that took. */
  | {type: 'image.ready'; image: string; imageId: string; source: 'present' | 'pulled' | 'built'; durationMs: number}
  /** An image could not be made present: the jobs that use it fail with this error; the others run. */
  | {type: 'image.failed'; image: string; message: string}
  | {
      type: 'job.started'
      job: string
      image: string
      key?: string
      /** How the cache treats the job; when absent the record infers `miss` with a key, else `disabled`. */
      cache?: CacheUse
      /** With `hit`: the run that produced the cache entry, whose recorded output is replayed. */
      cachedFrom?: string
      /** The job runs on this machine (`runs-on: host`); absent for a container job. */
      executor?: 'host'
      /** With `hit`: the entry came from the remote cache (downloaded in this run). */
      cacheSource?: 'local' | 'remote'
    }
  /** `attempt` (here and on step events) only from a retry's second attempt on: the first has none. */
  | {type: 'job.container'; job: string; containerId: string; imageId: string; attempt?: number}
  | {type: 'step.started'; job: string; step: number; name: string; attempt?: number}
  /** Masked output; `text` is whole lines (ends with a newline) except at the end of a step. */
  | {
      type: 'step.output'
      job: string
      step: number
      stream: 'stdout' | 'stderr'
      text: string
      /** Output recorded when the job ran in an earlier run, replayed from the cache. */
      replayed?: true
      attempt?: number
    }
  | ({type: 'step.finished'; job: string; attempt?: number} & StepResult)
  | ({type: 'job.artifacts'; job: string} & ArtifactsSummary)
  /** The job's test reports (after its steps, whatever its state; replayed on a cache hit). */
  | {type: 'job.reports'; job: string; junit: JunitReports}
  /** What the job handed to its dependents (masked here; replayed on a cache hit). */
  | {type: 'job.outputs'; job: string; outputs: Record<string, string>}
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
      /** A host job kept by its cleanup policy: the folder it ran in. */
      workDir?: string
      /** A container kept by policy with `keep_for`: when clean and retention may remove it (ISO time). */
      keptUntil?: string
      /** With retries: the attempt the job ended with (absent: the first). */
      attempt?: number
      /** It succeeded after an attempt that did not: a flaky job. */
      flaky?: true
    }
  /** An attempt of a job with `retry:` ended without success, and the job runs again in a fresh container. */
  | {
      type: 'job.retrying'
      job: string
      /** The attempt that ended, from 1. */
      attempt: number
      /** How many attempts the job may have in all. */
      maxAttempts: number
      status: 'failed' | 'timed_out'
      durationMs: number
      error?: {kind: string; message: string}
    }
  | ({type: 'job.warning'; job: string} & JobWarning)
  /** The remote cache asked on a local miss (`lookup`), or given a succeeded job's entry (`upload`, in the background; the run waits for it). */
  | RemoteCacheEvent
  /** A keyed volume restored before the job's first step, or saved after it succeeded. */
  | VolumeEvent
  | {type: 'job.skipped'; job: string; reason: string}
  | {type: 'run.finished'; status: Exclude<RunStatus, 'running'>; durationMs: number; error?: {kind: string; message: string}; provenance?: ProvenanceSummary}

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
