import * as os from 'node:os'
import * as path from 'node:path'

import type {ProvenanceKeyConfig, RegistryLogin, RemoteCacheConfig, SandboxPolicy, SigningConfig} from './types.js'
import type {PullPolicy, Resources} from '../pipeline/types.js'
import type {ConfigFlags, ExecuteCaps, ResolvedConfig, ServeLimits, WebhookConfig} from './types.js'

/** One source of settings (file, environment or flags), already parsed; dirs absolute. */
export interface ConfigLayer extends Partial<ConfigFlags> {
  defaultResources?: Resources
  retentionMaxRuns?: number
  retentionMaxAgeMs?: number
  retentionMaxBytes?: number
  cacheSigning?: SigningConfig
  provenanceKey?: ProvenanceKeyConfig
  remoteCacheUrl?: string
  remoteCacheTeam?: string
  remoteCacheTokenEnv?: string
  remoteCacheNamespace?: string
  remoteCacheReadOnly?: boolean
  remoteCacheEndpoint?: string
  remoteCacheRegion?: string
  remoteCacheTimeoutMs?: number
  remoteCacheRetries?: number
  remoteCacheConcurrency?: number
  servePipelines?: string[]
  serveAllowHost?: boolean
  serveAllowDocker?: boolean
  serveWorkingTrees?: boolean
  serveExecute?: Partial<ExecuteCaps>
  serveLimits?: Partial<ServeLimits>
  serveWebhooks?: WebhookConfig[]
  /** `serve.sandboxes`: what the file sets, over DEFAULT_SANDBOX_POLICY. */
  serveSandboxes?: Partial<SandboxPolicy>
  defaultPull?: PullPolicy
  registries?: Record<string, RegistryLogin>
}

export const DEFAULT_SERVE_HOST = '127.0.0.1'
export const DEFAULT_SERVE_PORT = 7077
export const DEFAULT_SERVE_PIPELINES = ['jobs.yml']
/** What `serve.sandboxes` gives when it sets nothing: no image, so no sandbox, until the operator lists some. */
export const DEFAULT_SANDBOX_POLICY: SandboxPolicy = {
  images: [],
  defaultTtlMs: 10 * 60_000,
  maxTtlMs: 60 * 60_000,
  maxSandboxes: 10,
  cpus: 1,
  memoryBytes: 512 * 1024 ** 2,
  pids: 256,
  allowNetwork: true,
}

/** What `cache.remote` takes when only its url is set. */
export const REMOTE_CACHE_DEFAULTS = {team: 'orca', tokenEnv: 'ORCA_REMOTE_CACHE_TOKEN', namespace: 'default', timeoutMs: 10_000, retries: 2, concurrency: 16}
export const DEFAULT_TIMEOUT_MS = 30 * 60_000
/** What `POST /v1/execute` may use when `serve.execute` sets nothing: no image, so nothing runs. */
export const DEFAULT_EXECUTE_CAPS: ExecuteCaps = {
  images: [],
  maxTimeoutMs: 30_000,
  maxMemoryBytes: 256 * 1024 ** 2,
  maxCpus: 1,
  maxPids: 128,
  maxOutputBytes: 1024 ** 2,
  maxCollectBytes: 1024 ** 2,
  network: false,
}
export const DEFAULT_SERVE_LIMITS: ServeLimits = {requestsPerMinute: 600, concurrency: 2, cpuSecondsPerHour: 3600}
/** Runs kept by default: the newest 100, within 5 GiB together. */
export const DEFAULT_RETENTION = {maxRuns: 100, maxBytes: 5 * 1024 ** 3}

/** The one place precedence lives: flags > environment > config file > built-in defaults. */
export function mergeConfig(cwd: string, layers: {file?: ConfigLayer; baseDir?: string; env: ConfigLayer; flags: ConfigLayer; configFile?: string}): ResolvedConfig {
  // Where `.orca/runs` and `.orca/cache` go when nothing sets them.
  const baseDir = layers.baseDir ?? cwd
  const defaults: ConfigLayer = {
    runsDir: path.resolve(baseDir, '.orca/runs'),
    cacheDir: path.resolve(baseDir, '.orca/cache'),
    concurrency: os.availableParallelism(),
    defaultTimeoutMs: DEFAULT_TIMEOUT_MS,
    cleanup: 'always_remove',
    serveHost: DEFAULT_SERVE_HOST,
    servePort: DEFAULT_SERVE_PORT,
    retentionMaxRuns: DEFAULT_RETENTION.maxRuns,
    retentionMaxBytes: DEFAULT_RETENTION.maxBytes,
  }
  const merged: ConfigLayer = {...defaults}
  for (const layer of [layers.file ?? {}, layers.env, layers.flags]) {
    for (const [key, value] of Object.entries(layer)) {
      if (value !== undefined) (merged as Record<string, unknown>)[key] = value
    }
  }
  const config: ResolvedConfig = {
    runsDir: merged.runsDir as string,
    cacheDir: merged.cacheDir as string,
    concurrency: merged.concurrency as number,
    defaults: {timeoutMs: merged.defaultTimeoutMs as number, cleanup: merged.cleanup ?? 'always_remove'},
    docker: {},
    cache: {},
    provenance: {},
    retention: {},
    serve: {
      host: merged.serveHost as string,
      port: merged.servePort as number,
      pipelines: merged.servePipelines ?? DEFAULT_SERVE_PIPELINES,
      allowDocker: merged.serveAllowDocker ?? false,
      execute: {...DEFAULT_EXECUTE_CAPS, ...merged.serveExecute},
      limits: {...DEFAULT_SERVE_LIMITS, ...merged.serveLimits},
      webhooks: merged.serveWebhooks ?? [],
      sandboxes: {...DEFAULT_SANDBOX_POLICY, ...merged.serveSandboxes},
    },
  }
  if (layers.configFile !== undefined) config.file = layers.configFile
  if (merged.defaultImage !== undefined) config.defaults.image = merged.defaultImage
  if (merged.defaultResources !== undefined) config.defaults.resources = merged.defaultResources
  if (merged.defaultPull !== undefined) config.defaults.pull = merged.defaultPull
  if (merged.registries !== undefined) config.registries = merged.registries
  if (merged.dockerHost !== undefined) config.docker.host = merged.dockerHost
  if (merged.cacheMaxSizeBytes !== undefined) config.cache.maxSizeBytes = merged.cacheMaxSizeBytes
  if (merged.cacheSigning !== undefined) config.cache.signing = merged.cacheSigning
  if (merged.provenanceKey !== undefined) config.provenance.signingKey = merged.provenanceKey
  if (merged.remoteCacheUrl !== undefined) config.cache.remote = remoteCacheOf(merged, merged.remoteCacheUrl)
  if (merged.retentionMaxRuns !== undefined) config.retention.maxRuns = merged.retentionMaxRuns
  if (merged.retentionMaxAgeMs !== undefined) config.retention.maxAgeMs = merged.retentionMaxAgeMs
  if (merged.retentionMaxBytes !== undefined) config.retention.maxBytes = merged.retentionMaxBytes
  if (merged.serveAllowHost === true) config.serve.allowHost = true
  if (merged.serveWorkingTrees === true) config.serve.workingTrees = true
  return config
}

function remoteCacheOf(merged: ConfigLayer, url: string): RemoteCacheConfig {
  const d = REMOTE_CACHE_DEFAULTS
  const remote: RemoteCacheConfig = {
    url,
    team: merged.remoteCacheTeam ?? d.team,
    tokenEnv: merged.remoteCacheTokenEnv ?? d.tokenEnv,
    namespace: merged.remoteCacheNamespace ?? d.namespace,
    readOnly: merged.remoteCacheReadOnly ?? false,
    timeoutMs: merged.remoteCacheTimeoutMs ?? d.timeoutMs,
    retries: merged.remoteCacheRetries ?? d.retries,
    concurrency: merged.remoteCacheConcurrency ?? d.concurrency,
  }
  if (merged.remoteCacheEndpoint !== undefined) remote.endpoint = merged.remoteCacheEndpoint
  if (merged.remoteCacheRegion !== undefined) remote.region = merged.remoteCacheRegion
  return remote
}

/** Flags as given on the command line: relative dirs resolve against the working directory. */
export function flagsLayer(cwd: string, flags: Partial<ConfigFlags>): ConfigLayer {
  const layer: ConfigLayer = {...flags}
  if (flags.runsDir !== undefined) layer.runsDir = path.resolve(cwd, flags.runsDir)
  if (flags.cacheDir !== undefined) layer.cacheDir = path.resolve(cwd, flags.cacheDir)
  return layer
}
