import type {BlobStore} from '../artifacts/blobs.js'
import type {ArtifactEntry} from '../artifacts/manifest.js'
import type {CleanupPolicy, Job, PullPolicy} from '../pipeline/types.js'

export type StepStatus = 'succeeded' | 'failed' | 'timed_out' | 'cancelled' | 'skipped'
/** Final states a job can reach by running (`skipped` and `cached` are decided by the scheduler). */
export type RunOutcomeStatus = 'succeeded' | 'failed' | 'timed_out' | 'cancelled'
export type CleanupAction = 'removed' | 'kept' | 'none'

export interface StepResult {
  index: number
  name: string
  status: StepStatus
  /** Exit code from the engine; null when the step did not finish (timed out, cancelled, skipped). */
  exitCode: number | null
  durationMs: number
  allowFailure: boolean
}

/** Receives a service's output as it arrives; gives back its last lines for failure messages. */
export interface ServiceLogSink {
  write(chunk: Buffer): void
  /** The last `count` lines written, as they are to be shown (masked). */
  lastLines(count: number): string[]
  close(): void
}

/** What an executor reports while it runs a job; the scheduler turns these into run events. */
/** Something about a job that did not stop it but that a user should see (every view shows it). */
export interface JobWarning {
  /**
   * `cache-untrusted`: signing is on and the entry's signature is missing or wrong (ignored, the job ran);
   * `cache-damaged`: the entry did not match its manifest (removed, the job ran);
   * `cache-remote`: the remote cache could not be reached or did not take an upload (the run goes on without it);
   * `artifact-link-outside`: an artifact link pointing outside the artifacts, stored as nothing;
   * `artifact-name-clash`: two artifacts whose names became equal once secrets were masked (the first is kept);
   * `artifact-clash`: two needs deliver different content at one path (the later need's is placed);
   * `collect-failed`: artifacts or reports of a job whose end was decided could not be collected;
   * `report-invalid`: a report file that is not a JUnit XML document (its tests are not counted);
   * `outputs-unreadable`, `output-invalid`, `output-secret`: outputs that could not be read, a line that is
   *   not an output or names an undeclared one, an output holding a secret (never handed on);
   * `docker-host`: the job has the host's Docker engine (`docker: true`) and with it control of the host;
   * `volume-cache`: a keyed volume could not be restored or saved (the job went on with the volume as it was);
   * `cleanup-failed`: the job's container (or a service's) could not be removed or kept as its cleanup policy
   *   says: left for `orca clean --leaks`, the job's status unchanged.
   */
  kind:
    | 'cache-untrusted'
    | 'cache-damaged'
    | 'cache-remote'
    | 'artifact-link-outside'
    | 'artifact-name-clash'
    | 'artifact-clash'
    | 'collect-failed'
    | 'report-invalid'
    | 'outputs-unreadable'
    | 'output-invalid'
    | 'output-secret'
    | 'docker-host'
    | 'volume-cache'
    | 'cleanup-failed'
  message: string
  /** The artifact concerned (secrets masked). */
  path?: string
  /** The link's target, for `artifact-link-outside`. */
  target?: string
}

export type ExecutorEvent =
  | {type: 'image.pull'; image: string; status: string; layer?: string; current?: number; total?: number}
  /** A line (or lines) of a build's output. */
  | {type: 'image.build'; image: string; text: string}
  | {type: 'job.container'; containerId: string; imageId: string}
  | {type: 'step.started'; step: number; name: string}
  | {type: 'step.output'; step: number; stream: 'stdout' | 'stderr'; chunk: Buffer}
  | {type: 'step.finished'; result: StepResult}
  | {type: 'job.warning'; warning: JobWarning}

/** Everything an executor needs to run one job. */
export interface JobContext {
  runId: string
  job: Job
  /** The ID of the job's image when it was prepared for it (a built image always is); else the executor resolves `job.image`. */
  imageId?: string
  /** Which attempt this is (retry:), from 1; each attempt is a fresh container. */
  attempt?: number
  projectDir: string
  /** Relative `/`-separated paths of the project files the job sees, copied into workdir. */
  inputFiles: string[]
  /** The artifacts of the job's needs, placed into workdir before the first step (a later need wins a clash). */
  needArtifacts: ReadonlyArray<readonly ArtifactEntry[]>
  /** Where artifact content is read from and collected into, by digest. */
  blobs: BlobStore
  /** A host folder copied to `workdir/.git` (a job with `git:`). */
  gitDir?: string
  /** Host directory that receives the job's artifacts (paths as under workdir); it appears whole or not at all. */
  artifactsDir: string
  /** Host directory that receives the job's test reports (collected whatever the job's state, unless cancelled). */
  reportsDir: string
  /** Where in the container the job writes its outputs (`$ORCA_OUTPUT`): created empty before the first step, read after the last. */
  outputFile?: string
  /** How an artifact's path is recorded and stored: with the job's secrets masked. */
  maskPath?(path: string): string
  /** Environment of the job: pipeline + job env, `-e` overrides and secret values. Step env comes on top. */
  env: Record<string, string>
  cleanup: CleanupPolicy
  /** How long a container `cleanup` keeps stays (`keep_for`): recorded on it as its expiry; undefined = no expiry. */
  keepForMs?: number
  /** Secret values of the run by name: the job's services take those they list. */
  secrets?: Record<string, string>
  /** Where a service's output goes (masked and kept by the run); undefined = only its last lines are kept, unmasked. */
  serviceLog?: (service: string) => ServiceLogSink
  /** Aborted when the run is cancelled: stop gracefully (SIGTERM, grace, SIGKILL). */
  cancel: AbortSignal
  /** Aborted on a second Ctrl-C: kill now, skip the grace period. */
  force: AbortSignal
  /** The job's container made by `prestart` while its needs ran: then only the needs' artifacts (and `gitDir`) are copied in. */
  prestarted?: Prestarted
  /** The container may still be being removed when runJob returns: the caller awaits `flush()` before it ends. */
  removeInBackground?: boolean
  /**
   * Called once the job's container is started (or taken ready from `prestarted`): the run starts its
   * dependents' containers ahead only then, so they do not share the engine with this start.
   */
  onContainerStarted?: () => void
  emit(event: ExecutorEvent): void
  /**
   * `orca run --interactive`: called when a step fails (not allowed to), while its container is held;
   * the job goes on (failed) once it settles. The job's timeout is paused meanwhile.
   */
  onStepFailed?: (failure: StepFailure) => Promise<void>
  /** The job's keyed volumes and the cache behind them: the executor moves their content, the run decides and tells. */
  volumeCache?: VolumeCacheHooks
}

/**
 * What an executor asks about a job's keyed volumes (docs/caching.md). The run looks entries up,
 * stores them and emits the events; none of these throws.
 */
export interface VolumeCacheHooks {
  volumes: ReadonlyArray<{name: string; path: string}>
  /** Held while a volume is checked and filled, so two jobs of a run sharing it fill it once. */
  lock(volume: string): Promise<() => void>
  /** A checked tar of the volume's entry (local cache, else remote) for an empty volume; undefined: none (said by the run). */
  restoreSource(volume: string): Promise<{open(): NodeJS.ReadableStream; restored(): void; failed(error: unknown): void} | undefined>
  /** The volume was not empty: what it holds is kept and nothing is restored. */
  notEmpty(volume: string): void
  /** After a success: whether the volume's content is to be saved (no entry under its key, locally or on the remote). */
  wantsSave(volume: string): Promise<boolean>
  /** Stores the volume's tar as it is read from the container; `checked` rejects when the archive is refused. */
  save(volume: string, tar: NodeJS.ReadableStream, checked: Promise<unknown>): Promise<void>
  /** Moving the volume in or out failed in the executor: a warning, never a failure of the job. */
  failed(volume: string, phase: 'restore' | 'save', error: unknown): void
}

/** A terminal a shell is attached to: raw bytes both ways, its size and its resizes. */
export interface ShellTerminal {
  input: NodeJS.ReadableStream
  output: NodeJS.WritableStream
  /** Where a command's stderr goes without a terminal (default: output). */
  errorOutput?: NodeJS.WritableStream
  /** False: no pseudo-terminal, output passed through as it comes (a command from a script). Default true. */
  tty?: boolean
  size(): {columns: number; rows: number}
  /** Calls `listener` whenever the terminal is resized; returns what stops that. */
  onResize(listener: () => void): () => void
}

/** A failed step whose container is still there, and how to open a shell in it. */
export interface StepFailure {
  job: string
  step: string
  /** The step's command as written in jobs.yml. */
  command: string
  exitCode: number | null
  /** Where the step ran: the shell starts there. */
  workdir: string
  /** A shell in the job's container (its environment and workdir) on `terminal`; resolves to the shell's exit code. */
  openShell(terminal: ShellTerminal): Promise<number | null>
}

/** An image pulled by reference, as its job's `pull` and `platform` say. */
export interface PullImageRequest {
  kind: 'pull'
  ref: string
  pull?: PullPolicy
  platform?: string
}

/** An image built from a folder of the project and tagged by the digest of its definition and files. */
export interface BuildImageRequest {
  kind: 'build'
  /** What views call it: `build:<context>…`. */
  label: string
  /** `orca-build/<project>:<digest>`: present means built already. */
  tag: string
  /** Absolute folder the files are relative to. */
  contextDir: string
  /** Exactly the files that were hashed, relative and `/`-separated. */
  files: string[]
  dockerfile: string
  args: Record<string, string>
  target?: string
  platform?: string
  /** The project the image is built for: its labels go on the image. */
  projectDir: string
}

export type ImageRequest = PullImageRequest | BuildImageRequest

/** What making a job's container ahead of its needs uses: nothing that depends on them (docs/performance.md). */
export type PrestartContext = Pick<JobContext, 'runId' | 'job' | 'projectDir' | 'inputFiles' | 'outputFile' | 'cleanup'> & {
  /** The job's image ID once the run has made it present (pulled or built); undefined from a caller that did not. */
  image?: Promise<string | undefined>
}

/** A job's container being made (or made) ahead of its needs ending, until its job takes it or it is discarded. */
export interface Prestarted {
  /** Settles once the container is ready (false: it could not be made; its job then makes its own). */
  readonly ready: Promise<boolean>
  /** Removes the container when its job did not take it (skipped, cancelled, a cache hit); awaits a start in flight. */
  discard(): Promise<void>
}

export interface JobOutcome {
  status: RunOutcomeStatus
  steps: StepResult[]
  /** What was collected into `artifactsDir`, sorted by path (by the job's `artifacts.when`, also after a failure). */
  artifacts: ArtifactEntry[]
  /** The report files collected into `reportsDir`, sorted by path. */
  reports?: ArtifactEntry[]
  /** What the steps wrote to the outputs file (undefined: the job declares no outputs or it could not be read). */
  outputText?: string
  containerId?: string
  imageId?: string
  cleanup: CleanupAction
  /** A kept container's expiry (ISO time, from `keep_for`). */
  keptUntil?: string
  /** A host job's folder, when its cleanup policy kept it. */
  workDir?: string
  /** Set when the job ended for a reason other than a step's exit code (infra error, timeout...). */
  error?: {kind: 'infra' | 'timeout' | 'cancelled' | 'artifact' | 'service' | 'image'; message: string}
}

/** An orca-managed resource that outlived its run and is not kept by policy. */
export interface Leak {
  kind: 'container' | 'network' | 'volume'
  id: string
  name: string
  runId?: string
  job?: string
  /** The service, for a service's container. */
  service?: string
  /** The project directory recorded on it (resources made before projects were recorded have none). */
  projectDir?: string
}

/** Which of an engine's orca resources maintenance looks at: one project's (by its identity's id), or every project's. */
export type ResourceScope = {projectId: string} | {allProjects: true}

/** Runs jobs somewhere. Docker is one implementation; the scheduler knows only this interface. */
export interface Executor {
  /** Checks the engine answers and every image exists (pulling what is missing); returns image IDs by reference. */
  prepare(images: string[], options: {signal: AbortSignal; onEvent?: (e: ExecutorEvent) => void}): Promise<Map<string, string>>
  /**
   * Makes one image present (pulled by its policy, or built) and returns its ID; called once per
   * distinct image of a run, concurrently. An executor without it has its images pulled through `prepare`.
   */
  prepareImage?(request: ImageRequest, options: {signal: AbortSignal; onEvent?: (e: ExecutorEvent) => void}): Promise<string>
  runJob(ctx: JobContext): Promise<JobOutcome>
  /** Starts making a job's container before its needs end (undefined: this job's is made when it runs). */
  prestart?(ctx: PrestartContext): Prestarted | undefined
  /** Awaits what finished jobs left running in the background (their containers' removal). */
  flush?(): Promise<void>
  /** Removes whatever this run created that its policy does not keep (used after a crash or cancel). */
  cleanup(runId: string): Promise<void>
  findLeaks(isRunAlive: (runId: string) => boolean, scope: ResourceScope): Promise<Leak[]>
  /** Removes the containers it kept whose `keep_for` has passed, in `scope`, but those of `exceptRun` (every run's retention pass, its own just kept). */
  removeExpiredKept?(scope: ResourceScope, now: number, exceptRun?: string): Promise<void>
}
