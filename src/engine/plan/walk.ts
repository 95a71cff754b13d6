import {createHash} from 'node:crypto'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {isIgnored, type RuleSet} from './ignore-rules.js'
import {ListingCache} from './listing-cache.js'

/** orca's own state, never listed by a walk (nor is any `.git`, at any depth). */
const ORCA_STATE = '.orca'
/** The ignore files a walk honours, in the order their rules apply. */
export const IGNORE_FILES = ['.gitignore', '.orcaignore']

interface Walk {
  root: string
  cache?: ListingCache
  out: string[]
  /** Directories left out (ending in `/`), checked when descending so cached listings do not depend on them. */
  skip: ReadonlySet<string>
  /** The clock listings are judged by (tests move it forward to trust fresh directories). */
  now?: number
}

/**
 * Lists the project's files by walking it, outside a git work tree: every regular file or symlink not
 * ignored by a `.gitignore`/`.orcaignore` on its path (with git's precedence), as sorted
 * `/`-separated relative paths. Ignored directories are never descended into (a large node_modules
 * costs nothing). With `listingCache`, a directory whose stat and ignore rules are unchanged is not
 * listed again.
 */
export function walkProjectFiles(projectDir: string, options: {listingCache?: string; now?: number; skipDirs?: readonly string[]} = {}): string[] {
  const walk: Walk = {
    root: projectDir,
    out: [],
    now: options.now,
    skip: new Set(options.skipDirs),
    cache: options.listingCache === undefined ? undefined : ListingCache.load(options.listingCache),
  }
  visit(walk, '', [], '')
  walk.cache?.save()
  return walk.out
}

function visit(walk: Walk, dir: string, inherited: RuleSet[], inheritedId: string): void {
  const abs = join(walk.root, dir)
  const stat = walk.cache ? statSync(abs) : undefined
  const cached = stat && walk.cache!.get(dir, stat)
  if (cached) {
    // Same entries as last time; the same listing too if the ignore files over them say the same.
    const rules = rulesOver(walk, dir, cached.ignoreFiles, inherited, inheritedId)
    if (rules.id === cached.rulesId) return emit(walk, dir, cached, rules.ruleSets, rules.id)
  }

  const entries = readdirSync(abs, {withFileTypes: true})
  const ignoreFiles = IGNORE_FILES.filter((f) => entries.some((e) => e.name === f))
  const {ruleSets, id} = rulesOver(walk, dir, ignoreFiles, inherited, inheritedId)
  const files: string[] = []
  const dirs: string[] = []
  for (const entry of entries) {
    const path = dir + entry.name
    // A submodule's or worktree's `.git` is a file naming its repository: never a project file either.
    if (entry.name === '.git' || (dir === '' && entry.name === ORCA_STATE)) continue
    if (entry.isDirectory()) {
      if (!isIgnored(ruleSets, `${path}/`)) dirs.push(entry.name)
    } else if ((entry.isFile() || entry.isSymbolicLink()) && !isIgnored(ruleSets, path)) {
      files.push(entry.name)
    }
  }
  files.sort()
  dirs.sort(byDirPath)
  if (stat) walk.cache!.set(dir, stat, id, {ignoreFiles, files, dirs}, walk.now)
  emit(walk, dir, {files, dirs}, ruleSets, id)
}

/**
 * Adds a directory's files and (recursively) subdirectories to the listing in sorted order, so the
 * listing is sorted as it is built (cheaper than a sort afterwards, docs/performance.md): `files` sorted
 * by name, `dirs` as the paths under them sort (byDirPath).
 */
function emit(walk: Walk, dir: string, listing: {files: string[]; dirs: string[]}, ruleSets: RuleSet[], rulesId: string): void {
  const {files, dirs} = listing
  let f = 0
  for (const name of dirs) {
    const sub = `${name}/`
    for (; f < files.length && files[f]! < sub; f++) walk.out.push(dir + files[f]!)
    if (walk.skip.size === 0 || !walk.skip.has(dir + sub)) visit(walk, dir + sub, ruleSets, rulesId)
  }
  for (; f < files.length; f++) walk.out.push(dir + files[f]!)
}

/** Directory names in the order of the paths under them (`a-b/` sorts before `a/`). */
function byDirPath(a: string, b: string): number {
  const x = `${a}/`
  const y = `${b}/`
  return x < y ? -1 : x > y ? 1 : 0
}

/** The rules over `dir`: its parent's, then those of its own ignore files; with their id. */
function rulesOver(walk: Walk, dir: string, ignoreFiles: string[], inherited: RuleSet[], inheritedId: string): {ruleSets: RuleSet[]; id: string} {
  if (ignoreFiles.length === 0) return {ruleSets: inherited, id: inheritedId}
  const own = readRuleSet(walk.root, dir, ignoreFiles)
  return {ruleSets: [...inherited, own], id: rulesId(inheritedId, own)}
}

/** The rules of `dir`'s ignore files `names` (each read; a file that vanished has no rules). */
export function readRuleSet(root: string, dir: string, names: readonly string[]): RuleSet {
  return {base: dir, files: names.map((name) => ({name, text: readText(join(root, dir, name))}))}
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

/** Identifies the rules over a directory: its parent's rules and its own ignore files' contents. */
function rulesId(inheritedId: string, own: RuleSet): string {
  return createHash('sha256').update(JSON.stringify([inheritedId, own.base, own.files.map((f) => f.text)])).digest('hex')
}
