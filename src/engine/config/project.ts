import {existsSync} from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

import {DEFAULT_JOBS_FILE} from '../pipeline/load.js'
import {readPackageJson} from './candidates.js'
import {CONFIG_SEARCH_PLACES} from './load.js'
import {currentUid, foreignOwner} from './owner.js'

/** Files that make a folder an orca project, in the order they are looked for. */
export const PROJECT_MARKERS = [DEFAULT_JOBS_FILE, ...CONFIG_SEARCH_PLACES]

export interface ProjectSearch {
  /** The project's folder: where the marker was found, else the working directory. */
  dir: string
  /** The file that marked it (`jobs.yml`, `orca.config.yml`, …); absent when none was found. */
  marker?: string
  /** The last folder searched when nothing was found, and why the search stopped there. */
  stoppedAt?: {dir: string; reason: 'git' | 'home' | 'root'}
  /** A marker above the working directory that belongs to another user: never used. */
  refused?: {file: string; uid: number}
}

export interface FindProjectOptions {
  cwd: string
  home?: string
  /** The user orca runs as; default: this process's (none on Windows, where nothing is compared). */
  uid?: number
}

/**
 * Finds the project a command works on, as git finds its repository: the nearest folder, from the
 * working directory up, holding jobs.yml or an orca configuration file (package.json counts with
 * an "orca" key). The search ends at the top of a git work tree, the home folder or the filesystem
 * root. A marker above the working directory owned by someone else (and not root) ends it too:
 * a file planted in a shared parent such as /tmp must not choose what runs (docs/configuration.md).
 */
export function findProject(options: FindProjectOptions): ProjectSearch {
  const cwd = path.resolve(options.cwd)
  const home = options.home ?? os.homedir()
  const uid = 'uid' in options ? options.uid : currentUid()
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    const marker = PROJECT_MARKERS.find((name) => isMarker(path.join(dir, name)))
    if (marker !== undefined) {
      const foreign = dir === cwd ? undefined : foreignOwner(path.join(dir, marker), uid)
      if (foreign !== undefined) return {dir: cwd, refused: {file: path.join(dir, marker), uid: foreign}}
      return {dir, marker}
    }
    const reason = existsSync(path.join(dir, '.git')) ? 'git' : dir === home ? 'home' : path.dirname(dir) === dir ? 'root' : undefined
    if (reason !== undefined) return {dir: cwd, stoppedAt: {dir, reason}}
  }
}

/** A package.json marks a project only with an "orca" key; the other markers by being there. */
function isMarker(file: string): boolean {
  if (path.basename(file) !== 'package.json') return existsSync(file)
  // One that is not JSON marks nothing: a broken package.json in a parent must not capture the search.
  const data = readPackageJson(file)
  return typeof data === 'object' && data !== null && data.orca !== undefined
}
