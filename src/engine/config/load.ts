import * as os from 'node:os'
import * as path from 'node:path'

import type {Diagnostic} from '../errors.js'
import {ConfigError} from '../errors.js'
import {displayPath} from '../pipeline/source-file.js'
import {mayHaveConfigFile} from './candidates.js'
import {envLayer} from './env.js'
import type {FoundText} from './file.js'
import type {ConfigLayer} from './layers.js'
import {flagsLayer, mergeConfig} from './layers.js'
import {currentUid, foreignOwner} from './owner.js'
import type {ConfigFlags, ResolvedConfig} from './types.js'

export type {ConfigFlags} from './types.js'

export const CONFIG_SEARCH_PLACES = ['orca.config.yml', 'orca.config.yaml', '.orcarc', '.orcarc.yml', '.orcarc.yaml', '.orcarc.json', 'package.json']

export interface LoadConfigOptions {
  /** Where relative paths of flags and ORCA_* variables resolve, and files are displayed from. */
  cwd: string
  /** The project's folder (see `findProject`): the config search starts here; default: cwd. */
  projectDir?: string
  env?: NodeJS.ProcessEnv
  flags?: Partial<ConfigFlags>
  /** The user orca runs as (default: this process's); a config file above the project owned by another user is refused. */
  uid?: number
}

/** Finds, validates and merges orca's configuration: flags > ORCA_* env > config file > defaults. */
export async function loadConfig(options: LoadConfigOptions): Promise<ResolvedConfig> {
  const cwd = path.resolve(options.cwd)
  const projectDir = path.resolve(cwd, options.projectDir ?? '.')
  const found = await findConfigFile(projectDir)
  const diagnostics: Diagnostic[] = []
  let file: ConfigLayer | undefined
  const foreign = found && path.dirname(found.filepath) !== projectDir ? foreignOwner(found.filepath, 'uid' in options ? options.uid : currentUid()) : undefined
  if (found && foreign !== undefined) {
    diagnostics.push({file: displayPath(found.filepath, found.filepath, cwd), path: '', message: `belongs to another user (uid ${foreign}); orca does not take its configuration from files it did not get from you`})
  } else if (found) {
    // The YAML parser and the schema validators load only when there is a file to read.
    const {readConfigFile} = await import('./file.js')
    const parsed = readConfigFile(found.text, displayPath(found.filepath, found.filepath, cwd), found.filepath)
    diagnostics.push(...parsed.diagnostics)
    file = parsed.layer
  }
  const env = envLayer(options.env ?? process.env, cwd)
  diagnostics.push(...env.diagnostics)
  if (diagnostics.length > 0) throw new ConfigError(diagnostics)
  // Default run and cache folders sit next to the project's config file (a monorepo's root), but
  // never under the user's global config folder, which every project shares.
  const fileDir = found ? path.dirname(found.filepath) : undefined
  return mergeConfig(cwd, {
    file,
    baseDir: fileDir !== undefined && isWithin(fileDir, projectDir) ? fileDir : projectDir,
    configFile: found?.filepath,
    env: env.layer,
    flags: flagsLayer(cwd, options.flags ?? {}),
  })
}

async function findConfigFile(cwd: string): Promise<{filepath: string; text: FoundText} | undefined> {
  const home = os.homedir()
  const stopDir = home && isWithin(home, cwd) ? home : path.parse(cwd).root
  // cosmiconfig reads the process's own environment and working directory, so the check does too.
  if (!mayHaveConfigFile({cwd, stopDir, searchPlaces: CONFIG_SEARCH_PLACES, home, env: process.env, processCwd: process.cwd()})) return undefined
  // Loaded only when a file may exist. Through `default`: a bundled dynamic import of a CommonJS
  // package keeps only its default export.
  const {default: {cosmiconfig}} = await import('cosmiconfig')
  const asText = (_file: string, content: string): FoundText => ({orcaConfigText: content, base: []})
  const explorer = cosmiconfig('orca', {
    searchPlaces: CONFIG_SEARCH_PLACES,
    searchStrategy: 'global',
    stopDir,
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

/** Whether `target` is `dir` or below it. */
function isWithin(dir: string, target: string): boolean {
  const relative = path.relative(dir, target)
  return !relative.startsWith('..') && !path.isAbsolute(relative)
}
