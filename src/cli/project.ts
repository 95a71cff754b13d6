import * as path from 'node:path'

import {loadConfig} from '../engine/config/load.js'
import {findProject, type ProjectSearch} from '../engine/config/project.js'
import type {ResolvedConfig} from '../engine/config/types.js'
import {ConfigError} from '../engine/errors.js'
import {DEFAULT_JOBS_FILE} from '../engine/pipeline/load.js'

/** Where a command works: the project found from the working directory, or the file given with -f. */
export interface CommandProject {
  /** The working directory: paths given on the command line and in ORCA_* variables resolve here. */
  cwd: string
  /** The project's folder: the config search starts here, and `.orca/` goes here by default. */
  projectDir: string
  /** The jobs file as the loaders take it, relative to cwd (e.g. `../jobs.yml`). */
  file: string
}

export interface LocateOptions {
  cwd: string
  /** `-f FILE` as given: used as is (relative to cwd), nothing is searched. */
  file?: string
  /** Where the one line naming the project goes (stderr: stdout may be machine output). */
  stderr: {write(text: string): unknown}
  /** run, validate and explain need jobs.yml: its absence is an error here, with where orca looked. */
  needsJobsFile: boolean
}

/**
 * Finds the project of a command run in a subfolder, as git does (see `findProject`), and says
 * which one it uses when that is not the working directory: `using ../.. (jobs.yml)`.
 */
export function locateProject(options: LocateOptions): CommandProject {
  const cwd = path.resolve(options.cwd)
  if (options.file !== undefined) return {cwd, projectDir: cwd, file: options.file}
  const search = findProject({cwd})
  if (search.refused !== undefined) {
    const shown = shortPath(search.refused.file, cwd)
    const message = `belongs to another user (uid ${search.refused.uid}): orca does not use a jobs.yml or configuration above this folder that is not yours`
    if (options.needsJobsFile) throw new ConfigError([{file: shown, path: '', message}], {hint: `pass -f ${shown} to use it anyway`})
    options.stderr.write(`note: not using ${shown}: it ${message}\n`)
  }
  if (search.marker === undefined) {
    if (options.needsJobsFile) throw notFound(search, cwd)
    return {cwd, projectDir: cwd, file: DEFAULT_JOBS_FILE}
  }
  if (search.dir !== cwd) options.stderr.write(`using ${shortPath(search.dir, cwd)} (${search.marker})\n`)
  return {cwd, projectDir: search.dir, file: path.relative(cwd, path.join(search.dir, DEFAULT_JOBS_FILE))}
}

/** The configuration of the project found from this process's directory, for commands that need no jobs.yml. */
export function projectConfig(): Promise<ResolvedConfig> {
  const project = locateProject({cwd: process.cwd(), stderr: process.stderr, needsJobsFile: false})
  return loadConfig({cwd: project.cwd, projectDir: project.projectDir, env: process.env})
}

/** The relative path when it is shorter than the absolute one. */
function shortPath(target: string, cwd: string): string {
  const relative = path.relative(cwd, target) || '.'
  return relative.length <= target.length ? relative : target
}

const STOPPED_AT: Record<NonNullable<ProjectSearch['stoppedAt']>['reason'], string> = {
  git: 'the top of its git repository',
  home: 'your home folder',
  root: 'the filesystem root',
}

function notFound(search: ProjectSearch, cwd: string): ConfigError {
  const stop = search.stoppedAt
  const where = stop === undefined || stop.dir === cwd ? 'in this folder' : `here or in any folder above, up to ${shortPath(stop.dir, cwd)} (${STOPPED_AT[stop.reason]})`
  return new ConfigError([{file: DEFAULT_JOBS_FILE, path: '', message: `not found ${where}`}], {
    hint: 'create one with "orca init", or point at another file with -f/--file',
  })
}

/** Where a notice about the project (its files listed without git, say) is written: one `notice:` line on `stream`. */
export function noticesTo(stream: {write(text: string): unknown}): (message: string) => void {
  return (message) => stream.write(`notice: ${message}\n`)
}
