import {lstatSync, readdirSync, readFileSync} from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

import {replaceFile} from '../atomic-file.js'
import {INDEX_FORMAT} from '../index-format.js'
import {runGit, type GitAnswer, type GitListing} from './git.js'

/** A path changed this close to when it was recorded may change again within the same timestamp. */
const RACY_MS = 2_000
/** Beyond this many watched paths, checking them (a stat each, ≈ 5 µs here) would cost about what asking git does. */
const MAX_WATCHED = 2_000

interface Recorded {
  format: number
  key: string
  /** Absolute path → stat signature (`-` when absent). */
  stats: Array<[string, string]>
  tracked: string[]
  untracked: string[]
}

/** What git's answer was asked under: the same answer needs the same of these. */
export interface ListingContext {
  projectDir: string
  /** The top of the work tree, holding `.git`. */
  top: string
  /** orca's state directories, relative to the project and ending in `/` (neither walked nor watched). */
  stateDirs: string[]
  env: NodeJS.ProcessEnv
  /** The clock paths are judged too fresh by (tests move it forward). */
  now?: number
}

/**
 * git's last answer for a project, with the stat of everything that answer depends on: the index
 * (what is tracked), every directory git walks for untracked files (an entry added, removed or
 * renamed changes its directory's mtime), every ignore file over them, `info/exclude`, the
 * configuration files git read and the global excludes file, and git's environment. While none of
 * them changed, `git ls-files` would say the same, so a fully cached run asks no process. Like the
 * walk's listing cache, it is only an optimisation: anything unreadable means asking git.
 */
export function cachedGitListing(file: string, context: ListingContext): GitListing | undefined {
  try {
    const recorded = JSON.parse(readFileSync(file, 'utf8')) as Recorded
    if (recorded.format !== INDEX_FORMAT || recorded.key !== keyOf(context)) return undefined
    for (const [watched, seen] of recorded.stats) if (signature(watched) !== seen) return undefined
    return {tracked: recorded.tracked, untracked: recorded.untracked}
  } catch {
    return undefined
  }
}

/**
 * Records git's answer with what it depends on. Not recorded (git is asked next time) when the
 * project holds another repository (a submodule or a nested one), a configuration file includes
 * others, a watched path changed within the racy window, there are too many to watch, or anything
 * cannot be read.
 */
export async function recordGitListing(file: string, context: ListingContext, listing: GitListing, configuration = readGitConfiguration(context)): Promise<void> {
  try {
    const stats = await watchedPaths(context, listing, configuration)
    if (stats === undefined || stats.size > MAX_WATCHED) return
    const now = context.now ?? Date.now()
    for (const watched of stats.keys()) {
      const stat = lstatSync(watched, {throwIfNoEntry: false})
      if (stat && !stat.isCharacterDevice() && (now - stat.mtimeMs < RACY_MS || now - stat.ctimeMs < RACY_MS)) return
    }
    const recorded: Recorded = {format: INDEX_FORMAT, key: keyOf(context), stats: [...stats], tracked: listing.tracked, untracked: listing.untracked}
    replaceFile(file, JSON.stringify(recorded), {createDir: true})
  } catch {
    // Only an optimisation: git is asked again next time.
  }
}

/** The configuration files git reads, as git lists them; asked while git lists the files (recordGitListing needs both). */
export function readGitConfiguration(context: Pick<ListingContext, 'projectDir' | 'env'>): Promise<GitAnswer> {
  return runGit(['config', '--list', '--show-origin', '-z'], context.projectDir, context.env)
}

/** Every path git's answer depends on, with its stat signature; undefined when the answer is not to be recorded. */
async function watchedPaths(context: ListingContext, listing: GitListing, configuration: Promise<GitAnswer>): Promise<Map<string, string> | undefined> {
  const {projectDir, top, env} = context
  const stats = new Map<string, string>()
  const watch = (file: string): void => {
    stats.set(file, signature(file))
  }
  const gitDir = path.join(top, '.git')
  // A `.git` file (a worktree, a submodule) points elsewhere: not followed here.
  if (!lstatSync(gitDir, {throwIfNoEntry: false})?.isDirectory()) return undefined
  for (const name of ['index', 'info/exclude']) watch(path.join(gitDir, name))
  watch(path.join(top, '.gitmodules'))
  if (!watchConfiguration(await configuration, top, env, watch)) return undefined
  // Ignore files between the top of the work tree and the project apply to it too.
  for (let dir = path.dirname(projectDir); dir.length >= top.length && dir !== path.dirname(dir); dir = path.dirname(dir)) {
    watch(path.join(dir, '.gitignore'))
    if (dir === top) break
  }
  return (await watchDirectories(context, listing, watch)) ? stats : undefined
}

/**
 * Watches the configuration files git reads (and the places it would read one created later) and the
 * global excludes file. git reads them from the top of the work tree (it moves there before reading
 * any), so a relative path it names or reads, `.git/config` or a relative `core.excludesFile`, is
 * relative to the top, not to a project in a subfolder.
 */
function watchConfiguration(answer: GitAnswer, top: string, env: NodeJS.ProcessEnv, watch: (file: string) => void): boolean {
  const home = env.HOME ?? os.homedir()
  const xdg = env.XDG_CONFIG_HOME || path.join(home, '.config')
  for (const file of [env.GIT_CONFIG_GLOBAL ?? path.join(home, '.gitconfig'), path.join(xdg, 'git/config'), path.join(xdg, 'git/ignore')]) watch(file)
  if (!answer.ok) return false
  const fields = answer.stdout.toString('utf8').split('\0')
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const origin = fields[i]!
    const [key, ...value] = fields[i + 1]!.split('\n')
    // Only files: a value from the command line or the environment is in the key already.
    if (!origin.startsWith('file:')) continue
    watch(path.resolve(top, origin.slice('file:'.length)))
    if (key === 'include.path' || key?.startsWith('includeif.')) return false
    if (key === 'core.excludesfile') {
      const named = value.join('\n')
      // `~user/…` and `%(prefix)/…` name files this code does not look up: git is asked every time.
      if (/^(~[^/]|%\(prefix\))/.test(named)) return false
      watch(path.resolve(top, named.replace(/^~(?=\/|$)/, home)))
    }
  }
  return true
}

/**
 * Watches every directory git walks for untracked files, and the `.gitignore` files in them: the
 * directories holding listed files, and each other directory git does not ignore (asked of git,
 * never decided here), level by level. A directory holding another repository stops the record.
 */
async function watchDirectories(context: ListingContext, listing: GitListing, watch: (file: string) => void): Promise<boolean> {
  const {projectDir, top, stateDirs, env} = context
  const listed = new Set<string>([''])
  for (const files of [listing.tracked, listing.untracked]) {
    for (const file of files) {
      for (let i = file.lastIndexOf('/'); i > 0; i = file.lastIndexOf('/', i - 1)) {
        const dir = file.slice(0, i + 1)
        if (listed.has(dir)) break
        listed.add(dir)
      }
    }
  }
  let queue = ['']
  while (queue.length > 0) {
    const unlisted: string[] = []
    for (let q = 0; q < queue.length; q++) {
      const dir = queue[q]!
      const abs = path.join(projectDir, dir)
      watch(abs)
      for (const entry of readdirSync(abs, {withFileTypes: true})) {
        if (entry.name === '.git') {
          if (dir === '' && projectDir === top) continue
          return false
        }
        if (entry.name === '.gitignore') watch(path.join(abs, entry.name))
        if (!entry.isDirectory()) continue
        const sub = `${dir}${entry.name}/`
        if (stateDirs.includes(sub)) continue
        if (listed.has(sub)) queue.push(sub)
        else unlisted.push(sub)
      }
    }
    if (unlisted.length === 0) break
    // git walks a directory it does not ignore even when it lists nothing in it: a file added there would be listed.
    const answer = await runGit(['check-ignore', '-z', '--stdin'], projectDir, env, `${unlisted.join('\0')}\0`)
    if (!answer.ok) return false
    const ignored = new Set(answer.stdout.toString('utf8').split('\0'))
    queue = unlisted.filter((dir) => !ignored.has(dir))
  }
  return true
}

/** The listing depends on the project, its state folders and git's environment. */
function keyOf(context: ListingContext): string {
  const env = Object.entries(context.env)
    .filter(([name]) => name.startsWith('GIT_') || name === 'HOME' || name === 'XDG_CONFIG_HOME')
    .sort(([a], [b]) => (a < b ? -1 : 1))
  return JSON.stringify([context.projectDir, context.top, context.stateDirs, env])
}

/** Changes when the path is written, replaced, created or removed. */
function signature(file: string): string {
  const stat = lstatSync(file, {throwIfNoEntry: false})
  if (!stat) return '-'
  // GIT_CONFIG_GLOBAL=/dev/null reads as empty; its times move with every write to it.
  if (stat.isCharacterDevice()) return `device:${stat.rdev}`
  return `${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}:${stat.size}:${stat.mode}`
}
