
import {loadPicomatch} from '../picomatch.js'

import type {ProjectFiles} from './project-files.js'

/** Each listing's files without orca's own, computed once per listing (a listing serves every job of a run). */
const defaults = new WeakMap<ProjectFiles, string[]>()

/** A job's inputs when it lists none: the project's files but orca's own (see ProjectFiles.orcaFiles). */
function defaultInputs(project: ProjectFiles): string[] {
  let found = defaults.get(project)
  if (found === undefined) {
    const own = project.orcaFiles
    found = own.length === 0 ? project.files : project.files.filter((f) => !own.includes(f))
    defaults.set(project, found)
  }
  return found
}

/**
 * The files a job sees: its default inputs when `globs` is undefined, else the project's files
 * matching a glob (orca's own files too, when a glob matches them). A glob starting with `!`
 * excludes what it matches, as in .gitignore and GitHub Actions paths; a list of only exclusions
 * starts from the default inputs.
 */
export function selectInputs(project: ProjectFiles, globs: string[] | undefined): string[] {
  if (globs === undefined) return defaultInputs(project)
  if (globs.length === 0) return []
  const include = globs.filter((g) => !g.startsWith('!'))
  const exclude = globs.filter((g) => g.startsWith('!')).map((g) => g.slice(1))
  const files = include.length > 0 ? project.files : defaultInputs(project)
  const included = include.length > 0 ? globMatcher(include) : () => true
  if (exclude.length === 0) return files.filter((f) => included(f))
  const excluded = globMatcher(exclude)
  return files.filter((f) => included(f) && !excluded(f))
}

/** The files a job gets: its inputs (see selectInputs) and its env files, which are inputs whatever the globs say. */
export function jobInputFiles(project: ProjectFiles, job: {inputs?: string[]; envFiles?: string[]}): string[] {
  const selected = selectInputs(project, job.inputs)
  const missing = (job.envFiles ?? []).filter((file) => !selected.includes(file))
  return missing.length === 0 ? selected : [...selected, ...missing].sort()
}

/** Path segments that are plain names: no glob syntax, not `.` or `..`. */
const PLAIN_PATH = /^[\w-][\w.-]*(?:\/[\w-][\w.-]*)*$/

/**
 * A matcher for project paths with picomatch's meaning (`dot: true`). The usual inputs, `dir/**`
 * and plain paths, are matched by prefix and equality: compiling globs with picomatch costs more
 * than a fully cached run's keying otherwise does.
 */
export function globMatcher(globs: string[]): (file: string) => boolean {
  const plain: Array<(file: string) => boolean> = []
  for (const glob of globs) {
    if (glob === '**') return () => true
    const tree = glob.endsWith('/**') ? glob.slice(0, -3) : undefined
    if (!PLAIN_PATH.test(tree ?? glob)) return loadPicomatch()(globs, {dot: true})
    plain.push(tree === undefined ? (file) => file === glob : (file) => file === tree || file.startsWith(`${tree}/`))
  }
  return plain.length === 1 ? plain[0]! : (file) => plain.some((matches) => matches(file))
}
