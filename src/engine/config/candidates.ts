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
 * every place it reads, so a project without one does not load it (≈ 25 ms with its search here).
 * It may say yes needlessly, never no where cosmiconfig would find a file (a test compares the two).
 */
export function mayHaveConfigFile(search: ConfigSearch): boolean {
  const meta = path.join(search.processCwd, 'package.json')
  if (hasKey(meta, 'cosmiconfig') || META_PLACES.some((place) => existsSync(path.join(search.processCwd, place)))) return true
  for (let dir = search.cwd; ; dir = path.dirname(dir)) {
    for (const place of search.searchPlaces) {
      const file = path.join(dir, place)
      if (place === 'package.json' ? hasKey(file, 'orca') : existsSync(file)) return true
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

function hasKey(packageJson: string, key: string): boolean {
  let text: string
  try {
    text = readFileSync(packageJson, 'utf8')
  } catch {
    return false
  }
  try {
    const data = JSON.parse(text) as Record<string, unknown> | null
    return typeof data === 'object' && data !== null && data[key] !== undefined
  } catch {
    // Not JSON: let cosmiconfig read it and say what is wrong.
    return true
  }
}
