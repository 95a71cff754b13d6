import type {Job} from '../pipeline/types.js'
import {globMatcher} from '../plan/inputs.js'

/** Folders never watched unless a job's input globs name them: version control and dependencies. */
export const IGNORED_DIRS = ['.git', 'node_modules']

/** What a watched run depends on: its jobs' input globs and orca's own files (pipeline, includes, config). */
export interface WatchedInputs {
  jobs: Iterable<Pick<Job, 'inputs' | 'envFiles' | 'steps'>>
  /** The pipeline file, the files it includes and the config file, relative to the project. */
  orcaFiles: readonly string[]
  /** orca's state folders inside the project (`.orca/` and the like), relative, ending in `/`. */
  stateDirs: readonly string[]
}

/**
 * The changed paths (relative, `/`-separated) that can change what the run does: orca's own files
 * and any job's inputs. Files in orca's state folders never count (a run writes there).
 */
export function relevantChanges(paths: Iterable<string>, inputs: WatchedInputs): string[] {
  const own = new Set(inputs.orcaFiles)
  const matchers = [...inputs.jobs].filter((job) => job.steps.length > 0).map(inputMatcher)
  const found = new Set<string>()
  for (const path of paths) {
    if (inputs.stateDirs.some((dir) => path.startsWith(dir) || `${path}/` === dir)) continue
    if (own.has(path) || matchers.some((matches) => matches(path))) found.add(path)
  }
  return [...found].sort()
}

/** Folders a watcher skips: the ignored ones no job's inputs name, and orca's state folders. */
export function skippedDirs(inputs: WatchedInputs): string[] {
  const named = [...inputs.jobs].flatMap((job) => job.inputs ?? [])
  return [...IGNORED_DIRS.filter((dir) => !named.some((glob) => glob.replace(/^!/, '').startsWith(`${dir}/`) || glob.includes(`/${dir}/`))), ...inputs.stateDirs.map((d) => d.replace(/\/$/, ''))]
}

/** Whether a path is one of the job's inputs: its globs (none: every file not in an ignored folder) and its env files. */
function inputMatcher(job: Pick<Job, 'inputs' | 'envFiles'>): (path: string) => boolean {
  const envFiles = new Set(job.envFiles ?? [])
  const globs = job.inputs
  const outsideIgnored = (path: string): boolean => !IGNORED_DIRS.some((dir) => path === dir || path.startsWith(`${dir}/`))
  if (globs === undefined) return (path) => envFiles.has(path) || outsideIgnored(path)
  if (globs.length === 0) return (path) => envFiles.has(path)
  const include = globs.filter((g) => !g.startsWith('!'))
  const exclude = globs.filter((g) => g.startsWith('!')).map((g) => g.slice(1))
  const included = include.length > 0 ? globMatcher(include) : outsideIgnored
  const excluded = exclude.length > 0 ? globMatcher(exclude) : () => false
  return (path) => envFiles.has(path) || (included(path) && !excluded(path))
}
