import {existsSync, readFileSync} from 'node:fs'
import * as path from 'node:path'

/** Where cosmiconfig 9 looks for its own "meta" configuration, in the process's working directory. */
const META_PLACES = ['package.yaml', '.config/config.json', '.config/config.yaml', '.config/config.yml', '.config/config.js', '.config/config.ts', '.config/config.cjs', '.config/config.mjs']

export interface ConfigSearch {
  /** Where the search starts. */
  cwd: string
  /** The last directory searched upwards (inclusive). */
  stopDir: string
  /** Files looked for in each directory; `package.json` counts only with an "orca" key. */
  searchPlaces: readonly string[]
  home: string
  env: NodeJS.ProcessEnv
  /** cosmiconfig reads its meta configuration from here (`process.cwd()`). */
  processCwd: string
}

/**
 * Whether cosmiconfig could find a configuration file in this search: a quick, conservative look at
 * every place it reads, so a project without one does not load it (its cost: docs/performance.md).
 * It may say yes needlessly, never no where cosmiconfig would find a file (a test compares the two).
 */
export function mayHaveConfigFile(search: ConfigSearch): boolean {
  // The process's package.json is usually also the first one searched: read each at most once.
  const packages = new Map<string, PackageJson>()
  const packageJson = (file: string): PackageJson => {
    let found = packages.get(file)
    if (found === undefined) packages.set(file, (found = readPackageJson(file)))
    return found
  }
  if (hasKey(packageJson(path.join(search.processCwd, 'package.json')), 'cosmiconfig')) return true
  if (META_PLACES.some((place) => existsSync(path.join(search.processCwd, place)))) return true
  for (let dir = search.cwd; ; dir = path.dirname(dir)) {
    for (const place of search.searchPlaces) {
      const file = path.join(dir, place)
      if (place === 'package.json' ? hasKey(packageJson(file), 'orca') : existsSync(file)) return true
    }
    if (dir === search.stopDir || path.dirname(dir) === dir) break
  }
  // cosmiconfig's "global" directory (env-paths: XDG on Linux, Library/Preferences on macOS, APPDATA on Windows).
  const globalDirs = [
    path.join(search.env.XDG_CONFIG_HOME || path.join(search.home, '.config'), 'orca'),
    path.join(search.home, 'Library', 'Preferences', 'orca'),
    path.join(search.env.APPDATA || path.join(search.home, 'AppData', 'Roaming'), 'orca', 'Config'),
  ]
  return globalDirs.some((dir) => existsSync(dir))
}

/** A package.json's top-level object; null when absent, 'unparsable' when it is not JSON. */
export type PackageJson = Record<string, unknown> | null | 'unparsable'

export function readPackageJson(file: string): PackageJson {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return null
  }
  try {
    const data = JSON.parse(text) as unknown
    return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : null
  } catch {
    return 'unparsable'
  }
}

/** Whether the key is there; an unparsable file counts as yes, so cosmiconfig reads it and says what is wrong. */
function hasKey(data: PackageJson, key: string): boolean {
  return data === 'unparsable' || (data !== null && data[key] !== undefined)
}
