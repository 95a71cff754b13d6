import type {SourcePosition} from '../errors.js'
import type {Expression} from './expression.js'

export const CLEANUP_POLICIES = [
  'always_remove',
  'remove_on_completion',
  'keep_on_completion',
  'remove_on_timeout',
  'never_remove',
] as const
export type CleanupPolicy = (typeof CLEANUP_POLICIES)[number]

/** When a job's image is pulled: only when the engine lacks it (default), before every run, or never. */
export const PULL_POLICIES = ['missing', 'always', 'never'] as const
export type PullPolicy = (typeof PULL_POLICIES)[number]

/** What names a keyed volume's content in the cache: globs over the project whose files' content makes its key. */
export interface VolumeKeySource {
  files: string[]
}

/** `image: {build: ...}`: an image built from the project; paths are relative to the project, `/`-separated. */
export interface ImageBuild {
  /** The folder sent to the builder ('.' = the project). */
  context: string
  /** The Dockerfile, relative to the context. */
  dockerfile: string
  args: Record<string, string>
  target?: string
}

export type NetworkMode = 'bridge' | 'none'

/** A step after normalisation: a bare string became `{name, run}`. */
export interface Step {
  /** Given name, or the first line of `run` (shortened). */
  name: string
  run: string
  /** Step timeout in ms; undefined = bounded only by the job's timeout. */
  timeoutMs?: number
  env: Record<string, string>
  allowFailure: boolean
  /** When the step runs by the states of earlier steps; undefined = `on_success`. */
  when?: When
  /** `shell:` of the step, else of its job; undefined = sh (see shellInvocation). */
  shell?: string
}

/** `when:` of a job or step (GitLab CI's words): whether it runs after what came before succeeded, failed, or either. */
export type When = 'on_success' | 'on_failure' | 'always'

/** Where an expanded job came from: the matrix job as written and this combination's values. */
export interface MatrixOrigin {
  /** The matrix job's name in jobs.yml (a target and a need that stand for every expansion). */
  job: string
  /** The combination, variables in the matrix's order. */
  values: Record<string, string>
  /** `max-parallel`: at most this many expansions of `job` run at once. */
  maxParallel?: number
}

export interface Resources {
  /** Fractional CPUs, e.g. 1.5. */
  cpus?: number
  memoryBytes?: number
  pids?: number
}

/** When a service counts as ready (see docs/jobs-yml.md). */
export type ReadyCheck =
  | {kind: 'command'; command: string}
  | {kind: 'tcp'; port: number}
  /** The image's HEALTHCHECK when it has one, else started = ready (decided when the image is known). */
  | {kind: 'default'}

/** A service after normalisation: a container started beside its job, reachable by name and aliases. */
export interface Service {
  name: string
  image: string
  /** The service's own env (pipeline and job env do not apply). */
  env: Record<string, string>
  /** Names of variables copied from orca's own environment into the service's env. */
  secrets: string[]
  /** Replaces the image's CMD; undefined = the image's. */
  command?: string[]
  /** Replaces the image's ENTRYPOINT; undefined = the image's. */
  entrypoint?: string[]
  /** Host names besides `name`, in the order given. */
  aliases: string[]
  ready: ReadyCheck
  readyTimeoutMs: number
  readyIntervalMs: number
  resources: Resources
}

export const DEFAULT_READY_TIMEOUT_MS = 30_000
export const DEFAULT_READY_INTERVAL_MS = 1_000

/** Which endings of a job `retry:` runs it again after: a step failed, a timeout, the engine or a service. */
export type RetryWhen = 'failure' | 'timed_out' | 'infra'

/** A job after normalisation: defaults applied, durations in ms. */
export interface Job {
  name: string
  /**
   * Always set: the job's own image or the pipeline default (a job without either is an error). For a
   * built image, a label naming its build (`build:<context>`); the image itself is tagged by its content.
   */
  image: string
  /** Set when the image is built from the project rather than pulled. */
  build?: ImageBuild
  /** When the image is pulled; undefined = `missing`. */
  pull?: PullPolicy
  /** The platform the image is pulled and run for (`os/arch[/variant]`). */
  platform?: string
  needs: string[]
  /** Input globs relative to the project; undefined = every file not ignored. */
  inputs?: string[]
  /** Pipeline env merged under the job's env (job wins). Step env is applied per step. */
  env: Record<string, string>
  /** Names of variables copied from orca's own environment. */
  secrets: string[]
  /** Those of `secrets` that are simply absent when not set (`required: false`). */
  optionalSecrets?: string[]
  /** `env_file:` paths relative to the project: inputs of the job whose variables it gets under `env`. */
  envFiles?: string[]
  /** `pass_env:` names of variables passed through from orca's own environment. */
  passEnv?: string[]
  /**
   * What the host gave at the start of the run (see bindHostEnvironment): each `pass_env` name that is
   * not a secret, to its value (null when not set), and the variables read from the env files.
   */
  host?: {passEnv: Record<string, string | null>; envFileValues: Record<string, string>}
  workdir: string
  /** Container user (`uid[:gid]` or a name); undefined = the image's user. */
  user?: string
  /** The repository's history in workdir/.git: `{}` all of it, `{depth}` HEAD's last commits; undefined = none. */
  git?: {depth?: number}
  /** The host's Docker engine is inside the job (`docker: true`). */
  docker?: true
  /** Attempts after the first, and which endings start one; undefined = one attempt. */
  retry?: {max: number; when: RetryWhen[]}
  timeoutMs: number
  cleanup: CleanupPolicy
  /** How long a container kept by `cleanup` stays before clean and retention remove it; undefined = until `orca clean --kept`. */
  keepForMs?: number
  cache: boolean
  resources: Resources
  network: NetworkMode
  /** Services started beside the job, by name (top-level ones merged under the job's); empty for a group job. */
  services: Record<string, Service>
  /** Named volume → absolute path in the container. */
  volumes: Record<string, string>
  /** Keyed volumes (`volumes: {name: {path, key}}`) → what names their content in the cache; never part of the job's key. */
  volumeKeys?: Record<string, VolumeKeySource>
  /** Empty for a group job, which succeeds when its needs do. */
  steps: Step[]
  /** Artifact globs relative to workdir. */
  artifacts: string[]
  /** When the artifacts are collected, by how the job ended; undefined = `on_success`. */
  artifactsWhen?: When
  /** Test reports collected whatever the job's state (globs relative to workdir). */
  reports?: {junit: string[]}
  /** Names of the outputs the job hands to its dependents (written to $ORCA_OUTPUT). */
  outputs?: string[]
  /** Which artifacts are taken from a need (false: none; globs: those they match); a need not listed gives all. */
  needArtifacts?: Record<string, false | string[]>
  /** What the views show instead of the name: `name:`, or a matrix expansion's `test (node=20, db=pg)`. */
  displayName?: string
  /** Set on each expansion of a matrix job. */
  matrix?: MatrixOrigin
  /** When the job runs by the states of its needs; undefined = `on_success`. */
  when?: When
  /** `if:` as written, and parsed (evaluated when the job's needs are settled). */
  condition?: {source: string; expression: Expression}
  /** Where the job is defined, for messages that point at it. */
  position?: SourcePosition
  /** `runs-on: host`: the steps run on this machine in a throwaway folder (no image); undefined = in a container. */
  runsOn?: 'host'
  /** `host.key` of a host job: commands whose stdout is part of its key (none: the job is never cached). */
  hostKey?: string[]
}

/** True for a `runs-on: host` job. */
export function runsOnHost(job: Pick<Job, 'runsOn'>): boolean {
  return job.runsOn === 'host'
}

/** A loaded, validated jobs.yml. */
export interface Pipeline {
  /** Absolute path of the jobs file. */
  file: string
  /** Absolute path of the project directory: the directory holding the jobs file. */
  projectDir: string
  version: 1
  /** Jobs in the order they are declared, a matrix job replaced by its expansions. */
  jobs: Map<string, Job>
  /** Matrix job name → the names of its expansions (a target or need naming it means all of them). */
  matrices?: Record<string, string[]>
  /** The files `include:` brought in (absolute paths), in the order read, with the digest of the text read: like the jobs file, orca's own files. */
  includes?: Array<{file: string; sha256: string}>
}

/** Defaults the loader applies where jobs.yml is silent (they come from configuration). */
export interface PipelineDefaults {
  image?: string
  pull?: PullPolicy
  timeoutMs: number
  cleanup: CleanupPolicy
  /** Container limits of jobs that set none; a job's own values win key by key. */
  resources?: Resources
}

export const DEFAULT_WORKDIR = '/workspace'
