import type {CleanupPolicy, PullPolicy, Resources} from '../pipeline/types.js'

/** `cache.signing` as configured: where the key comes from, resolved when the cache is opened. */
export type SigningConfig =
  | {hmac: {secret: string; from: string} | {keyFile: string} | {keyEnv: string}}
  /** Absolute paths; a reader may have public keys only. */
  | {ed25519: {privateKeyFile?: string; publicKeyFiles: string[]}}

/** The key that signs run attestations (docs/provenance.md): a PEM file, or the PEM itself from ORCA_SIGNING_KEY. */
export type ProvenanceKeyConfig = {file: string} | {pem: string; from: string}

/** A registry login from the config: the user name, and the variable that holds the password or token. */
export interface RegistryLogin {
  username: string
  passwordEnv: string
}

/** `cache.remote` as configured (docs/caching.md); the token is read from `tokenEnv` when the cache is opened. */
export interface RemoteCacheConfig {
  /** `s3://bucket/prefix`, or the http(s) URL of a Turborepo remote cache server. */
  url: string
  /** Turborepo team (`teamId`). */
  team: string
  /** The variable holding the bearer token (Turborepo API). */
  tokenEnv: string
  namespace: string
  readOnly: boolean
  /** An S3-compatible service other than AWS (MinIO, R2, Ceph). */
  endpoint?: string
  region?: string
  timeoutMs: number
  retries: number
  concurrency: number
}

/** orca's configuration after merging flags > ORCA_* env > config file > defaults. */
export interface ResolvedConfig {
  /** Absolute path of the config file found, if any. */
  file?: string
  /** Absolute; relative values in the file resolve against the config file's directory. */
  runsDir: string
  cacheDir: string
  concurrency: number
  defaults: {
    image?: string
    timeoutMs: number
    cleanup: CleanupPolicy
    /** Container limits of jobs that set none (their own values win key by key). */
    resources?: Resources
    /** Pull policy of jobs that set none (jobs.yml's own default wins); undefined = `missing`. */
    pull?: PullPolicy
  }
  /** Credentials for private registries by host; the password is read from `passwordEnv` when pulling. */
  registries?: Record<string, RegistryLogin>
  docker: {
    /** A DOCKER_HOST-style URL (unix://, tcp://, ssh://) or a socket path. */
    host?: string
  }
  cache: {
    maxSizeBytes?: number
    /** Where the key that signs and checks entries comes from (see signerOf). */
    signing?: SigningConfig
    remote?: RemoteCacheConfig
  }
  provenance: {
    /** Absent: attestations are written unsigned, and say so. */
    signingKey?: ProvenanceKeyConfig
  }
  retention: {
    maxRuns?: number
    maxAgeMs?: number
    maxBytes?: number
  }
  serve: {
    host: string
    port: number
    /** Pipeline files `POST /v1/runs` may name, relative to the served project, `/`-separated and normalised. */
    pipelines: string[]
    /** `serve.allowHost`: runs over HTTP may start `runs-on: host` jobs (absent: they are refused). */
    allowHost?: true
    /** Whether a pipeline with a `docker: true` job may be run over HTTP. */
    allowDocker: boolean
    /** `serve.workingTrees`: `POST /v1/runs` may run a client's uploaded working tree (its own pipeline) instead of the served project. */
    workingTrees?: true
    /** Caps of `POST /v1/execute` (`serve.execute`). */
    execute: ExecuteCaps
    /** Per-key abuse limits (`serve.limits`). */
    limits: ServeLimits
    webhooks: WebhookConfig[]
    /** `serve.sandboxes`: what clients may make under /v1/sandboxes. */
    sandboxes: SandboxPolicy
  }
}

/** Command-line values that override everything else; dirs relative to the working directory. */
export interface ConfigFlags {
  runsDir: string
  cacheDir: string
  concurrency: number
  defaultImage: string
  defaultTimeoutMs: number
  cleanup: CleanupPolicy
  dockerHost: string
  cacheMaxSizeBytes: number
  serveHost: string
  servePort: number
}

/** `serve.limits`: what one API key may use. */
export interface ServeLimits {
  requestsPerMinute: number
  /** Executions at once (and sandboxes at once, counted apart). */
  concurrency: number
  cpuSecondsPerHour: number
}

/** One `serve.webhooks` entry; the secret is read from the environment when the server starts. */
export interface WebhookConfig {
  url: string
  secret?: string
  secretEnv?: string
  events: Array<'run.finished' | 'sandbox.expired'>
  retries: number
  backoffMs: number
  timeoutMs: number
}

/** What `POST /v1/execute` may use at most, whatever a request asks (`serve.execute` in orca.config.yml). */
export interface ExecuteCaps {
  /** Image references a request may name, exactly as written (empty: execute is off). */
  images: string[]
  maxTimeoutMs: number
  maxMemoryBytes: number
  maxCpus: number
  maxPids: number
  /** stdout and stderr together. */
  maxOutputBytes: number
  /** Collected files together. */
  maxCollectBytes: number
  /** Whether a request may ask for a network (`bridge`); without, containers have none. */
  network: boolean
}

/** What a served project lets clients create (`serve.sandboxes` in its configuration). */
export interface SandboxPolicy {
  /** Image references a sandbox may be made from, exactly as written; empty = no sandbox can be made. */
  images: string[]
  /** Time-to-live when a request names none. */
  defaultTtlMs: number
  /** The longest a request (a create or a touch) may ask for: longer asks are clamped to it. */
  maxTtlMs: number
  /** Sandboxes alive at once. */
  maxSandboxes: number
  /** Caps on what one sandbox may ask for; also what it gets when it asks for nothing. */
  cpus: number
  memoryBytes: number
  pids: number
  /** Whether a sandbox may have the default bridge (and so its ports forwarded); else every one is `none`. */
  allowNetwork: boolean
}
