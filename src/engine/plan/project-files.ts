import * as path from 'node:path'

import {findWorkTree, gitListFiles} from './git.js'
import {isIgnored, type RuleSet} from './ignore-rules.js'
import {readRuleSet, walkProjectFiles} from './walk.js'

/** The project's files a job can be given, found once per run. */
export interface ProjectFiles {
  /** Sorted, `/`-separated, relative to the project directory. */
  files: string[]
  /**
   * Among `files`, orca's own: the pipeline file in use, the config file, `.orcaignore` files. They
   * are not default inputs (what they say is already in every key); a job whose `inputs` glob
   * matches one gets it.
   */
  orcaFiles: string[]
  /** `git`: what git tracks plus untracked files it does not ignore; `walk`: a walk honouring `.gitignore` and `.orcaignore`. */
  source: 'git' | 'walk'
  /** Among `files`, those git does not track (sorted; empty for a walk). */
  untracked: string[]
  /** One line for the user when git was expected but not used (e.g. not installed). */
  notice?: string
}

export interface ListOptions {
  /** Absolute path of the pipeline file in use. */
  pipelineFile?: string
  /** Absolute path of the orca config file in use (a `package.json` holding it stays an ordinary file). */
  configFile?: string
  /** Absolute directories holding orca's state (runs, cache): never inputs. `.orca/` never is either. */
  stateDirs?: string[]
  /** Where a walk keeps its directory listings (see ListingCache). */
  listingCache?: string
  env?: NodeJS.ProcessEnv
  /** The clock a walk judges listings by (tests move it forward). */
  now?: number
}

const ORCA_STATE = '.orca/'
const ORCAIGNORE = '.orcaignore'

/**
 * The project's files. In a git work tree they are exactly git's (`git ls-files --cached --others
 * --exclude-standard`: tracked files, even those a `.gitignore` matches, and untracked files git
 * does not ignore); outside one, or when git cannot answer, those a walk finds honouring
 * `.gitignore` and `.orcaignore`. Either way `.orcaignore` files narrow the set and orca's state
 * directories are left out.
 */
export function listProjectFiles(projectDir: string, options: ListOptions = {}): ProjectFiles {
  const env = options.env ?? process.env
  const stateDirs = orcaStateDirs(projectDir, options.stateDirs ?? [])
  let notice: string | undefined
  const tree = findWorkTree(projectDir, env)
  if (tree) {
    const listed = gitListFiles(projectDir, {top: tree.top, env, excludeDirs: stateDirs})
    if ('error' in listed) {
      notice = `${listed.error.message}; project files are listed by .gitignore and .orcaignore rules instead`
    } else if (listed.files.length === 0) {
      // A project in an ignored folder of a larger repository: git has nothing to say about it.
      notice = `git lists no file in ${projectDir} (ignored by the repository around it); project files are listed by .gitignore and .orcaignore rules instead`
    } else {
      const keep = keeper(projectDir, listed.files, stateDirs)
      const files = sortUnique(listed.files.filter(keep))
      const untracked = sortUnique(listed.untracked.filter(keep))
      return {files, orcaFiles: orcaFilesAmong(projectDir, files, options), source: 'git', untracked}
    }
  }
  const files = walkProjectFiles(projectDir, {listingCache: options.listingCache, now: options.now, skipDirs: stateDirs.filter((d) => d !== ORCA_STATE)})
  return {files, orcaFiles: orcaFilesAmong(projectDir, files, options), source: 'walk', untracked: [], ...(notice ? {notice} : {})}
}

/** Which of git's files stay: not in orca's state, not ignored by a listed `.orcaignore`. */
function keeper(projectDir: string, listed: string[], stateDirs: string[]): (file: string) => boolean {
  const outsideState = (file: string): boolean => !stateDirs.some((dir) => file.startsWith(dir))
  const orcaignores = listed.filter((f) => isOrcaignore(f) && outsideState(f))
  if (orcaignores.length === 0) return outsideState
  const orcaignored = orcaignoreRules(projectDir, orcaignores)
  return (file) => outsideState(file) && !orcaignored(file)
}

/** Sorted as JavaScript sorts strings: git lists untracked files, then tracked ones, each in byte order, and an unmerged file once per stage. */
function sortUnique(files: string[]): string[] {
  files.sort()
  return files.filter((f, i) => i === 0 || f !== files[i - 1])
}

function isOrcaignore(file: string): boolean {
  return file === ORCAIGNORE || file.endsWith(`/${ORCAIGNORE}`)
}

/** Whether the `.orcaignore` files `orcaignores` ignore a file, with git's precedence (a deeper file's `!x` keeps x). */
function orcaignoreRules(projectDir: string, orcaignores: string[]): (file: string) => boolean {
  const own = new Map<string, RuleSet>()
  for (const file of orcaignores) {
    const base = file.slice(0, -ORCAIGNORE.length)
    own.set(base, readRuleSet(projectDir, base, [ORCAIGNORE]))
  }
  const rules = new Map<string, RuleSet[]>([['', own.has('') ? [own.get('')!] : []]])
  const rulesOver = (dir: string): RuleSet[] => {
    let found = rules.get(dir)
    if (found === undefined) {
      const parent = rulesOver(parentDir(dir))
      found = own.has(dir) ? [...parent, own.get(dir)!] : parent
      rules.set(dir, found)
    }
    return found
  }
  const ignoredDirs = new Map<string, boolean>([['', false]])
  const dirIgnored = (dir: string): boolean => {
    let found = ignoredDirs.get(dir)
    if (found === undefined) {
      const parent = parentDir(dir)
      found = dirIgnored(parent) || isIgnored(rulesOver(parent), dir)
      ignoredDirs.set(dir, found)
    }
    return found
  }
  return (file) => {
    const dir = file.slice(0, file.lastIndexOf('/') + 1)
    return dirIgnored(dir) || isIgnored(rulesOver(dir), file)
  }
}

/** `a/b/` → `a/`, `a/` → ``. */
function parentDir(dir: string): string {
  return dir.slice(0, dir.lastIndexOf('/', dir.length - 2) + 1)
}

/** orca's own files among `files` (sorted). */
function orcaFilesAmong(projectDir: string, files: string[], options: ListOptions): string[] {
  const named = [options.pipelineFile, options.configFile && path.basename(options.configFile) !== 'package.json' ? options.configFile : undefined]
    .map((file) => (file === undefined ? undefined : relativeToProject(projectDir, file)))
    .filter((f): f is string => f !== undefined)
  return files.filter((f) => isOrcaignore(f) || named.includes(f))
}

/** orca's state directories inside the project (`.orca/` and those of `dirs` inside it), relative and ending in `/`. */
export function orcaStateDirs(projectDir: string, dirs: readonly string[]): string[] {
  const inside = dirs.map((dir) => relativeToProject(projectDir, dir)).filter((d): d is string => d !== undefined)
  return [ORCA_STATE, ...inside.map((d) => `${d}/`)]
}

/** `file` relative to the project, `/`-separated; undefined when it is not inside (or is the project itself). */
export function relativeToProject(projectDir: string, file: string | undefined): string | undefined {
  if (file === undefined) return undefined
  const rel = path.relative(projectDir, path.resolve(projectDir, file))
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined
  return rel.split(path.sep).join('/')
}
