import {existsSync, mkdirSync} from 'node:fs'
import * as path from 'node:path'

import {committedFiles, type CommittedFiles} from './committed-files.js'
import {findWorkTree, gitListFiles} from './git.js'
import {cachedGitListing, readGitConfiguration, recordGitListing} from './git-listing-cache.js'
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
  /** In a git work tree: files are named by git blob ids, and where git's index may vouch for committed files (see committedFiles). */
  git?: CommittedFiles
}

export interface ListOptions {
  /** Absolute path of the pipeline file in use. */
  pipelineFile?: string
  /** Absolute paths of the files the pipeline file includes: orca's own files too. */
  includedFiles?: readonly string[]
  /** Absolute path of the orca config file in use (a `package.json` holding it stays an ordinary file). */
  configFile?: string
  /** Absolute directories holding orca's state (runs, cache): never inputs. `.orca/` never is either. */
  stateDirs?: string[]
  /** Where a walk keeps its directory listings (see ListingCache). */
  listingCache?: string
  /** Where git's last answer is kept with what it depends on (see cachedGitListing). */
  gitListingCache?: string
  env?: NodeJS.ProcessEnv
  /** The clock listings are judged by (tests move it forward). */
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
export async function listProjectFiles(projectDir: string, options: ListOptions = {}, askedAhead?: AskedGit): Promise<ProjectFiles> {
  // git asked ahead (askGit) about this same folder, with the same options, or asked now.
  const asked = askedAhead?.projectDir === projectDir ? askedAhead : askGit(projectDir, options)
  const stateDirs = orcaStateDirs(projectDir, options.stateDirs ?? [])
  let notice: string | undefined
  if (asked.listed) {
    const listed = await asked.listed
    await asked.record?.(listed)
    if ('error' in listed) {
      notice = `${listed.error.message}; project files are listed by .gitignore and .orcaignore rules instead`
    } else if (listed.tracked.length === 0 && listed.untracked.length === 0) {
      // A project in an ignored folder of a larger repository: git has nothing to say about it.
      notice = `git lists no file in ${projectDir} (ignored by the repository around it); project files are listed by .gitignore and .orcaignore rules instead`
    } else {
      const named = ownFiles(projectDir, options)
      const scanned = scan(listed.tracked, stateDirs, named, scan(listed.untracked, stateDirs, named))
      let {tracked, untracked} = listed
      let {own} = scanned
      if (scanned.state || scanned.orcaignores.length > 0) {
        const keep = keeper(projectDir, scanned.orcaignores, stateDirs)
        tracked = tracked.filter(keep)
        untracked = untracked.filter(keep)
        own = own.filter(keep)
      }
      const files = sortedUnion(tracked, untracked)
      const git = asked.top === undefined ? undefined : committedFiles(projectDir, asked.top, files, options.env ?? process.env)
      return {files, orcaFiles: sortedUnion(own, []), source: 'git', untracked: sortedUnion(untracked, []), ...(git ? {git} : {})}
    }
  }
  const files = walkProjectFiles(projectDir, {listingCache: options.listingCache, now: options.now, skipDirs: stateDirs.filter((d) => d !== ORCA_STATE)})
  const {own} = scan(files, [], ownFiles(projectDir, options))
  return {files, orcaFiles: own, source: 'walk', untracked: [], ...(notice ? {notice} : {})}
}

/** git's part of a listing (see askGit), which depends only on the project's folder and orca's state folders. */
export interface AskedGit {
  projectDir: string
  /** The top of the work tree, when known (not when GIT_DIR names the repository). */
  top?: string
  /** Undefined outside a git work tree: the files are walked. */
  listed?: Promise<Awaited<ReturnType<typeof gitListFiles>>>
  /** Keeps a fresh answer for the next run (see recordGitListing); absent for an answer that was kept already. */
  record?: (answer: Awaited<ReturnType<typeof gitListFiles>>) => Promise<void>
}

/**
 * Asks git for the project's files now, so its processes run while the caller does other work (a
 * run reads its pipeline meanwhile); `listProjectFiles` takes the answer. Nothing is written until
 * the answer is taken, and a question never taken only leaves git's processes to end.
 */
export function askGit(projectDir: string, options: Pick<ListOptions, 'stateDirs' | 'gitListingCache' | 'env' | 'now'> = {}): AskedGit {
  const tree = findWorkTree(projectDir, options.env ?? process.env)
  if (!tree) return {projectDir}
  const asked = gitListing(projectDir, tree.top, orcaStateDirs(projectDir, options.stateDirs ?? []), options)
  // Handled here: an answer never taken (the pipeline was refused) is no unhandled rejection.
  asked.listed.catch(() => undefined)
  return {projectDir, ...(tree.top === undefined ? {} : {top: tree.top}), ...asked}
}

interface Scanned {
  /** Whether a file is in orca's state. */
  state: boolean
  /** `.orcaignore` files outside orca's state. */
  orcaignores: string[]
  /** orca's own files: those named, and `.orcaignore` files. */
  own: string[]
}

/**
 * One pass over a listing for what may need filtering or marking. Plain loops, no callback per
 * file: run once in a process, over 10,000 files, this code is not optimised yet.
 */
function scan(files: readonly string[], stateDirs: readonly string[], named: readonly string[], into: Scanned = {state: false, orcaignores: [], own: []}): Scanned {
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!
    let inState = false
    for (let d = 0; d < stateDirs.length; d++) if (file.startsWith(stateDirs[d]!)) inState = true
    if (inState) into.state = true
    else if (isOrcaignore(file)) {
      into.orcaignores.push(file)
      into.own.push(file)
    } else if (named.includes(file)) into.own.push(file)
  }
  return into
}

/**
 * git's listing of the project: its last answer when nothing it depends on changed since (asking git
 * is a process per run; its cost is in docs/performance.md), else a fresh one, with `record` to keep
 * it for next time (called when the answer is taken, not when it arrives).
 */
function gitListing(projectDir: string, top: string | undefined, stateDirs: string[], options: Pick<ListOptions, 'gitListingCache' | 'env' | 'now'>): Required<Pick<AskedGit, 'listed'>> & Pick<AskedGit, 'record'> {
  const env = options.env ?? process.env
  const file = options.gitListingCache
  const context = top === undefined || file === undefined ? undefined : {projectDir, top, stateDirs, env, now: options.now}
  const cached = context && cachedGitListing(file!, context)
  if (cached) return {listed: Promise.resolve(cached)}
  const listed = gitListFiles(projectDir, {top, env, excludeDirs: stateDirs})
  if (!context) return {listed}
  // Recorded from a checkout's second run on: recording costs a fresh run more than asking git does
  // (a second and third git process, every folder read, ≈ 50 ms of 10,000 files' restore:
  // docs/performance.md), which a throwaway CI runner running orca once never gets back. A first
  // run, once its answer is taken, only makes the project's records folder, which says so to the next.
  const folder = path.dirname(file!)
  if (!existsSync(folder)) return {listed, record: async () => makeFolder(folder)}
  // The configuration the record needs, asked at the same time: two processes at once, not one after the other.
  const configuration = readGitConfiguration(context)
  return {listed, record: async (answer) => ('error' in answer ? undefined : recordGitListing(file!, context, answer, configuration))}
}

function makeFolder(folder: string): void {
  try {
    mkdirSync(folder, {recursive: true})
  } catch {
    // Only an optimisation: the next run asks git again.
  }
}

/** Which of git's files stay: not in orca's state, not ignored by one of `orcaignores`. */
function keeper(projectDir: string, orcaignores: string[], stateDirs: string[]): (file: string) => boolean {
  const outsideState = (file: string): boolean => !stateDirs.some((dir) => file.startsWith(dir))
  if (orcaignores.length === 0) return outsideState
  const orcaignored = orcaignoreRules(projectDir, orcaignores)
  return (file) => outsideState(file) && !orcaignored(file)
}

/**
 * `a` and `b` as one list sorted as JavaScript sorts strings, without duplicates. Each is usually
 * sorted already (git's byte order is the same for most paths), so they are merged in one pass and
 * sorted only when that did not give a sorted list (a full sort costs more, docs/performance.md).
 */
function sortedUnion(a: string[], b: readonly string[]): string[] {
  if (b.length === 0 && isSortedUnique(a)) return a
  const out: string[] = []
  let i = 0
  let j = 0
  let sorted = true
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!
    const last = out.length === 0 ? undefined : out[out.length - 1]!
    if (next === last) continue
    if (last !== undefined && next < last) sorted = false
    out.push(next)
  }
  if (sorted) return out
  out.sort()
  return out.filter((f, k) => k === 0 || f !== out[k - 1])
}

function isSortedUnique(files: readonly string[]): boolean {
  for (let i = 1; i < files.length; i++) if (!(files[i - 1]! < files[i]!)) return false
  return true
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

/** The pipeline file (and those it includes) and config file in use, relative to the project (a `package.json` holding the config is an ordinary file). */
function ownFiles(projectDir: string, options: ListOptions): string[] {
  const config = options.configFile !== undefined && path.basename(options.configFile) !== 'package.json' ? options.configFile : undefined
  return [options.pipelineFile, ...(options.includedFiles ?? []), config].map((file) => relativeToProject(projectDir, file)).filter((f): f is string => f !== undefined)
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
