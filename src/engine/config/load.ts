import * as os from 'node:os'
import * as path from 'node:path'

import {cosmiconfig} from 'cosmiconfig'

import {parseDuration} from '../duration.js'
import type {Diagnostic} from '../errors.js'
import {ConfigError} from '../errors.js'
import {schemaDiagnostics} from '../pipeline/schema-diagnostics.js'
import {validateAgainst} from '../pipeline/schema-validators.js'
import {parseSize} from '../pipeline/size.js'
import type {CleanupPolicy, Resources} from '../pipeline/types.js'
import type {NodePath} from '../pipeline/yaml-source.js'
import {displayPath, locate, parseYaml} from '../pipeline/yaml-source.js'
import {envLayer} from './env.js'
import type {ConfigLayer} from './layers.js'
import {flagsLayer, mergeConfig} from './layers.js'
import type {ConfigFlags, ResolvedConfig} from './types.js'

export type {ConfigFlags} from './types.js'

export const CONFIG_SEARCH_PLACES = ['orca.config.yml', 'orca.config.yaml', '.orcarc', '.orcarc.yml', '.orcarc.yaml', '.orcarc.json', 'package.json']

/** Shape of a config file once it passed `schemas/config.schema.json`. */
interface RawConfig {
  runsDir?: string
  cacheDir?: string
  concurrency?: number
  defaults?: {image?: string; timeout?: string; cleanup?: CleanupPolicy; resources?: {cpus?: number; memory?: string | number; pids?: number}}
  docker?: {host?: string; socket?: string}
  cache?: {maxSize?: string | number}
  retention?: {maxRuns?: number; maxAge?: string}
  serve?: {host?: string; port?: number}
}

/** What our cosmiconfig loaders hand back: the text, parsed later by us so errors keep their positions. */
interface FoundText {
  orcaConfigText: string
  base: NodePath
}

/** Finds, validates and merges orca's configuration: flags > ORCA_* env > config file > defaults. */
export async function loadConfig(options: {cwd: string; env?: NodeJS.ProcessEnv; flags?: Partial<ConfigFlags>}): Promise<ResolvedConfig> {
  const cwd = path.resolve(options.cwd)
  const found = await findConfigFile(cwd)
  const diagnostics: Diagnostic[] = []
  let file: ConfigLayer | undefined
  if (found) {
    const parsed = readConfigFile(found.text, displayPath(found.filepath, found.filepath, cwd), found.filepath)
    diagnostics.push(...parsed.diagnostics)
    file = parsed.layer
  }
  const env = envLayer(options.env ?? process.env, cwd)
  diagnostics.push(...env.diagnostics)
  if (diagnostics.length > 0) throw new ConfigError(diagnostics)
  return mergeConfig(cwd, {
    file,
    fileDir: found ? path.dirname(found.filepath) : undefined,
    configFile: found?.filepath,
    env: env.layer,
    flags: flagsLayer(cwd, options.flags ?? {}),
  })
}

async function findConfigFile(cwd: string): Promise<{filepath: string; text: FoundText} | undefined> {
  const home = os.homedir()
  const underHome = home && !path.relative(home, cwd).startsWith('..') && !path.isAbsolute(path.relative(home, cwd))
  const asText = (_file: string, content: string): FoundText => ({orcaConfigText: content, base: []})
  const explorer = cosmiconfig('orca', {
    searchPlaces: CONFIG_SEARCH_PLACES,
    searchStrategy: 'global',
    stopDir: underHome ? home : path.parse(cwd).root,
    cache: false,
    loaders: {
      '.yml': asText,
      '.yaml': asText,
      noExt: asText,
      '.json': (file, content) => {
        if (path.basename(file) !== 'package.json') return asText(file, content)
        // package.json counts only when it has an "orca" key; cosmiconfig picks that key for us.
        return hasOrcaKey(content) ? {orca: {orcaConfigText: content, base: ['orca']}} : {}
      },
    },
  })
  const result = await explorer.search(cwd)
  if (!result || result.isEmpty) return undefined
  return {filepath: result.filepath, text: result.config as FoundText}
}

function hasOrcaKey(json: string): boolean {
  try {
    const data = JSON.parse(json) as Record<string, unknown> | null
    return typeof data === 'object' && data !== null && data.orca !== undefined
  } catch {
    return false
  }
}

/** Parses and validates one config file into a layer, with positioned diagnostics. */
export function readConfigFile(found: FoundText, displayFile: string, absFile: string): {layer?: ConfigLayer; diagnostics: Diagnostic[]} {
  const parsed = parseYaml(found.orcaConfigText, displayFile, found.base)
  if (parsed.fatal || !parsed.source) return {diagnostics: parsed.diagnostics}
  const data = parsed.value ?? {}
  // In package.json the settings live under "orca"; say so in the paths.
  const prefix = found.base.map(String).join('.')
  const schemaErrors = schemaDiagnostics(validateAgainst('config', data), parsed.source, displayFile).map((d) => (prefix ? {...d, path: d.path ? `${prefix}.${d.path}` : prefix} : d))
  const diagnostics = [...parsed.diagnostics, ...schemaErrors]
  const raw = data as RawConfig
  if (raw.docker?.host !== undefined && raw.docker.socket !== undefined) {
    diagnostics.push({file: displayFile, ...locate(parsed.source, ['docker', 'socket'], 'key'), path: 'docker.socket', message: 'set either docker.host or docker.socket, not both'})
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
    defaultResources: raw.defaults?.resources === undefined ? undefined : resourcesOf(raw.defaults.resources),
    dockerHost: raw.docker?.host ?? (raw.docker?.socket === undefined ? undefined : `unix://${path.resolve(dir, raw.docker.socket)}`),
    cacheMaxSizeBytes: raw.cache?.maxSize === undefined ? undefined : parseSize(raw.cache.maxSize),
    retentionMaxRuns: raw.retention?.maxRuns,
    retentionMaxAgeMs: raw.retention?.maxAge === undefined ? undefined : parseDuration(raw.retention.maxAge),
    serveHost: raw.serve?.host,
    servePort: raw.serve?.port,
  }
  return {layer, diagnostics: []}
}

function resourcesOf(raw: {cpus?: number; memory?: string | number; pids?: number}): Resources {
  const resources: Resources = {}
  if (raw.cpus !== undefined) resources.cpus = raw.cpus
  if (raw.memory !== undefined) resources.memoryBytes = parseSize(raw.memory)
  if (raw.pids !== undefined) resources.pids = raw.pids
  return resources
}
