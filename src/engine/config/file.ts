import * as path from 'node:path'

import type {ExecuteCaps, RegistryLogin, ServeLimits, SigningConfig, WebhookConfig} from './types.js'
import {parseDuration} from '../duration.js'
import type {Diagnostic} from '../errors.js'
import {schemaDiagnostics} from '../pipeline/schema-diagnostics.js'
import {config as configSchema} from '../pipeline/schema-validators.config.generated.js'
import {schemaErrors} from '../pipeline/schema-validators.js'
import {parseSize} from '../bytes.js'
import {nameTable} from '../name-table.js'
import type {CleanupPolicy, PullPolicy, Resources} from '../pipeline/types.js'
import type {NodePath} from '../pipeline/yaml-source.js'
import {locate, parseYaml} from '../pipeline/yaml-source.js'
import type {ConfigLayer} from './layers.js'

/** Shape of a config file once it passed `schemas/config.schema.json`. */
interface RawConfig {
  runsDir?: string
  cacheDir?: string
  concurrency?: number
  defaults?: {image?: string; pull?: PullPolicy; timeout?: string; cleanup?: CleanupPolicy; resources?: {cpus?: number; memory?: string | number; pids?: number}}
  docker?: {host?: string; socket?: string}
  cache?: {maxSize?: string | number; signing?: RawSigning; remote?: RawRemoteCache}
  provenance?: {signingKey?: string}
  retention?: {maxRuns?: number; maxAge?: string; maxSize?: string | number}
  serve?: {host?: string; port?: number; pipelines?: string[]; allowHost?: boolean; allowDocker?: boolean; execute?: RawExecute; limits?: Partial<ServeLimits>; webhooks?: RawWebhook[]; sandboxes?: RawSandboxes; workingTrees?: boolean}
  registries?: Record<string, RegistryLogin>
}

interface RawExecute {
  images?: string[]
  maxTimeout?: string
  maxMemory?: string | number
  maxCpus?: number
  maxPids?: number
  maxOutputBytes?: string | number
  maxCollectBytes?: string | number
  network?: boolean
}

interface RawWebhook {
  url: string
  secret?: string
  secretEnv?: string
  events: WebhookConfig['events']
  retries?: number
  backoff?: string
  timeout?: string
}

interface RawSandboxes {
  images?: string[]
  ttl?: string
  maxTtl?: string
  max?: number
  cpus?: number
  memory?: string | number
  pids?: number
  network?: boolean
}

type RawSigning = {hmac: {keyFile?: string; keyEnv?: string}} | {ed25519: {privateKeyFile?: string; publicKeyFiles?: string[]}}

interface RawRemoteCache {
  url: string
  team?: string
  tokenEnv?: string
  namespace?: string
  readOnly?: boolean
  endpoint?: string
  region?: string
  timeout?: string
  retries?: number
  concurrency?: number
}

/** What our cosmiconfig loaders hand back: the text, parsed later by us so errors keep their positions. */
export interface FoundText {
  orcaConfigText: string
  base: NodePath
}

/** Parses and validates one config file into a layer, with positioned diagnostics. */
export function readConfigFile(found: FoundText, displayFile: string, absFile: string): {layer?: ConfigLayer; diagnostics: Diagnostic[]} {
  const parsed = parseYaml(found.orcaConfigText, displayFile, found.base)
  if (parsed.fatal || !parsed.source) return {diagnostics: parsed.diagnostics}
  const data = parsed.value ?? {}
  // In package.json the settings live under "orca"; say so in the paths.
  const prefix = found.base.map(String).join('.')
  const schemaProblems = schemaDiagnostics(schemaErrors(configSchema, data), parsed.source, displayFile).map((d) => (prefix ? {...d, path: d.path ? `${prefix}.${d.path}` : prefix} : d))
  const diagnostics = [...parsed.diagnostics, ...schemaProblems]
  const raw = data as RawConfig
  if (raw.docker?.host !== undefined && raw.docker.socket !== undefined) {
    diagnostics.push({file: displayFile, ...locate(parsed.source, ['docker', 'socket'], 'key'), path: 'docker.socket', message: 'set either docker.host or docker.socket, not both'})
  }
  const pipelines: unknown[] = Array.isArray(raw.serve?.pipelines) ? raw.serve.pipelines : []
  for (const [index, file] of pipelines.entries()) {
    if (typeof file === 'string' && servedPipelinePath(file) === undefined) {
      diagnostics.push({
        file: displayFile,
        ...locate(parsed.source, ['serve', 'pipelines', index]),
        path: `${prefix ? `${prefix}.` : ''}serve.pipelines[${index}]`,
        message: 'expected a .yml or .yaml file inside the served project, relative to it (no "..", not absolute, "/" as separator)',
      })
    }
  }
  if (diagnostics.length > 0) return {diagnostics}
  const dir = path.dirname(absFile)
  const layer: ConfigLayer = {
    runsDir: raw.runsDir === undefined ? undefined : path.resolve(dir, raw.runsDir),
    cacheDir: raw.cacheDir === undefined ? undefined : path.resolve(dir, raw.cacheDir),
    concurrency: raw.concurrency,
    defaultImage: raw.defaults?.image,
    defaultTimeoutMs: raw.defaults?.timeout === undefined ? undefined : parseDuration(raw.defaults.timeout),
    cleanup: raw.defaults?.cleanup,
    defaultPull: raw.defaults?.pull,
    registries: raw.registries === undefined ? undefined : nameTable(raw.registries),
    defaultResources: raw.defaults?.resources === undefined ? undefined : resourcesOf(raw.defaults.resources),
    dockerHost: raw.docker?.host ?? (raw.docker?.socket === undefined ? undefined : `unix://${path.resolve(dir, raw.docker.socket)}`),
    cacheMaxSizeBytes: raw.cache?.maxSize === undefined ? undefined : parseSize(raw.cache.maxSize),
    cacheSigning: signingOf(raw.cache?.signing, dir),
    provenanceKey: raw.provenance?.signingKey === undefined ? undefined : {file: path.resolve(dir, raw.provenance.signingKey)},
    ...remoteCacheLayer(raw.cache?.remote),
    retentionMaxRuns: raw.retention?.maxRuns,
    retentionMaxAgeMs: raw.retention?.maxAge === undefined ? undefined : parseDuration(raw.retention.maxAge),
    retentionMaxBytes: raw.retention?.maxSize === undefined ? undefined : parseSize(raw.retention.maxSize),
    serveHost: raw.serve?.host,
    servePort: raw.serve?.port,
    servePipelines: raw.serve?.pipelines?.map((file) => servedPipelinePath(file) as string),
    serveAllowHost: raw.serve?.allowHost,
    serveAllowDocker: raw.serve?.allowDocker,
    serveWorkingTrees: raw.serve?.workingTrees,
    serveExecute: raw.serve?.execute === undefined ? undefined : executeCapsOf(raw.serve.execute),
    serveLimits: raw.serve?.limits,
    serveWebhooks: raw.serve?.webhooks?.map(webhookOf),
    serveSandboxes: sandboxesOf(raw.serve?.sandboxes),
  }
  return {layer, diagnostics: []}
}

/** The keys a file sets: what it leaves out stays to the defaults under it. */
function setOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>
}

function executeCapsOf(raw: RawExecute): Partial<ExecuteCaps> {
  const caps: Partial<ExecuteCaps> = {
    images: raw.images,
    maxTimeoutMs: raw.maxTimeout === undefined ? undefined : parseDuration(raw.maxTimeout),
    maxMemoryBytes: raw.maxMemory === undefined ? undefined : parseSize(raw.maxMemory),
    maxCpus: raw.maxCpus,
    maxPids: raw.maxPids,
    maxOutputBytes: raw.maxOutputBytes === undefined ? undefined : parseSize(raw.maxOutputBytes),
    maxCollectBytes: raw.maxCollectBytes === undefined ? undefined : parseSize(raw.maxCollectBytes),
    network: raw.network,
  }
  return setOnly(caps)
}

function webhookOf(raw: RawWebhook): WebhookConfig {
  return {
    url: raw.url,
    ...(raw.secret === undefined ? {} : {secret: raw.secret}),
    ...(raw.secretEnv === undefined ? {} : {secretEnv: raw.secretEnv}),
    events: raw.events,
    retries: raw.retries ?? 5,
    backoffMs: raw.backoff === undefined ? 1000 : (parseDuration(raw.backoff) as number),
    timeoutMs: raw.timeout === undefined ? 10_000 : (parseDuration(raw.timeout) as number),
  }
}

/** `serve.sandboxes` as a partial policy: only what the file sets. */
function sandboxesOf(raw: RawSandboxes | undefined): ConfigLayer['serveSandboxes'] {
  if (raw === undefined) return undefined
  const set = {
    images: raw.images,
    defaultTtlMs: raw.ttl === undefined ? undefined : parseDuration(raw.ttl),
    maxTtlMs: raw.maxTtl === undefined ? undefined : parseDuration(raw.maxTtl),
    maxSandboxes: raw.max,
    cpus: raw.cpus,
    memoryBytes: raw.memory === undefined ? undefined : parseSize(raw.memory),
    pids: raw.pids,
    allowNetwork: raw.network,
  }
  return setOnly(set)
}

function remoteCacheLayer(raw: RawRemoteCache | undefined): ConfigLayer {
  if (raw === undefined) return {}
  return {
    remoteCacheUrl: raw.url,
    remoteCacheTeam: raw.team,
    remoteCacheTokenEnv: raw.tokenEnv,
    remoteCacheNamespace: raw.namespace,
    remoteCacheReadOnly: raw.readOnly,
    remoteCacheEndpoint: raw.endpoint,
    remoteCacheRegion: raw.region,
    remoteCacheTimeoutMs: raw.timeout === undefined ? undefined : parseDuration(raw.timeout),
    remoteCacheRetries: raw.retries,
    remoteCacheConcurrency: raw.concurrency,
  }
}

/** Only where the key is: the secret is read when the cache is opened, never kept in a config file. */
function signingOf(raw: RawSigning | undefined, dir: string): SigningConfig | undefined {
  if (raw === undefined) return undefined
  if ('ed25519' in raw) {
    const {privateKeyFile, publicKeyFiles = []} = raw.ed25519
    return {
      ed25519: {
        ...(privateKeyFile === undefined ? {} : {privateKeyFile: path.resolve(dir, privateKeyFile)}),
        publicKeyFiles: publicKeyFiles.map((file) => path.resolve(dir, file)),
      },
    }
  }
  if (raw.hmac.keyEnv !== undefined) return {hmac: {keyEnv: raw.hmac.keyEnv}}
  return {hmac: {keyFile: path.resolve(dir, raw.hmac.keyFile as string)}}
}

/**
 * A pipeline path of the served project in one spelling (`./ci//a.yml` → `ci/a.yml`), or undefined
 * when it is not a .yml/.yaml file, is absolute, climbs out with `..`, or holds a backslash or NUL.
 * Requests are matched in this spelling too.
 */
export function servedPipelinePath(file: string): string | undefined {
  if (file.startsWith('/') || /[\\\0]/.test(file) || !/\.ya?ml$/.test(file)) return undefined
  const normal = path.posix.normalize(file)
  if (normal === '.' || normal === '..' || normal.startsWith('../')) return undefined
  return normal
}

function resourcesOf(raw: {cpus?: number; memory?: string | number; pids?: number}): Resources {
  const resources: Resources = {}
  if (raw.cpus !== undefined) resources.cpus = raw.cpus
  if (raw.memory !== undefined) resources.memoryBytes = parseSize(raw.memory)
  if (raw.pids !== undefined) resources.pids = raw.pids
  return resources
}
