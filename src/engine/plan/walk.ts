import {lstatSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'

import type fastGlobModule from 'fast-glob'

import {isIgnored, type RuleSet} from './ignore-rules.js'

/** orca's own state, never listed by a walk (nor is any `.git`, at any depth). */
const ORCA_STATE = '.orca'
/** The ignore files a walk honours, in the order their rules apply. */
export const IGNORE_FILES = ['.gitignore', '.orcaignore']

/** A rule line that names a path plainly (no glob syntax, no negation): it can be pruned by fast-glob exactly. */
const PLAIN_RULE = /^(\/?)((?:[\w-][\w.-]*|\.[\w.-]*[\w-][\w.-]*)(?:\/(?:[\w-][\w.-]*|\.[\w.-]*[\w-][\w.-]*))*)(\/?)$/

/**
 * Lists the project's files by walking it with fast-glob, outside a git work tree: every regular file
 * or symlink not ignored by a `.gitignore`/`.orcaignore` on its path (with git's precedence), as
 * sorted `/`-separated relative paths. Directories that an ignore file names plainly (`node_modules/`,
 * `/build`) are pruned by fast-glob's `ignore` patterns, so a large node_modules costs nothing; every
 * other rule is applied to what the walk found, exactly as git would.
 */
export function walkProjectFiles(projectDir: string, options: {skipDirs?: readonly string[]} = {}): string[] {
  const fg = loadFastGlob()
  const fixed = [`${ORCA_STATE}/**`, '**/.git/**', ...(options.skipDirs ?? []).map((dir) => `${escapeBase(fg, dir)}**`)]
  // The root's ignore files prune the first walk; deeper ones are known only once it found them.
  const rootFiles = IGNORE_FILES.filter((name) => lstatSync(join(projectDir, name), {throwIfNoEntry: false}))
  let known = new Map<string, RuleSet>(rootFiles.length > 0 ? [['', readRuleSet(projectDir, '', rootFiles)]] : [])
  for (;;) {
    const prunes = prunePatterns(fg, known)
    const entries = fg.sync('**', {cwd: projectDir, dot: true, onlyFiles: false, objectMode: true, followSymbolicLinks: false, ignore: [...fixed, ...prunes.patterns]})
    const found = filterEntries(projectDir, entries, prunes.dirOnly)
    // Every pruned folder is still ignored once the ignore files found on the way are known: done.
    const again = prunePatterns(fg, found.ruleSets)
    if (prunes.patterns.every((p) => again.patterns.includes(p))) return found.files
    known = found.ruleSets
  }
}

interface Prunes {
  /** fast-glob `ignore` patterns, each ending in `/**`. */
  patterns: string[]
  /** Names pruned by a folder-only rule (`name/`): a file of that name must still be looked for. */
  dirOnly: Array<{base: string; name: string; anchored: boolean}>
}

/**
 * fast-glob patterns for the folders that `ruleSets` ignore whatever else is found: a plain rule
 * with no negation after it in its folder's ignore files and none in a deeper known ignore file
 * (a deeper `!name` could bring the folder back).
 */
function prunePatterns(fg: typeof fastGlobModule, ruleSets: ReadonlyMap<string, RuleSet>): Prunes {
  const prunes: Prunes = {patterns: [], dirOnly: []}
  const negatingBases = [...ruleSets.values()].filter((set) => set.files.some((f) => lines(f.text).some((l) => l.startsWith('!')))).map((s) => s.base)
  for (const set of ruleSets.values()) {
    if (negatingBases.some((base) => base !== set.base && base.startsWith(set.base))) continue
    const ruleLines = set.files.flatMap((f) => lines(f.text))
    ruleLines.forEach((line, i) => {
      if (ruleLines.slice(i + 1).some((later) => later.startsWith('!'))) return
      const plain = PLAIN_RULE.exec(line)
      if (!plain) return
      const [, leading, name, trailing] = plain as unknown as [string, string, string, string]
      const anchored = leading === '/' || name.includes('/')
      prunes.patterns.push(`${escapeBase(fg, set.base)}${anchored ? '' : '**/'}${name}/**`)
      if (trailing === '/') prunes.dirOnly.push({base: set.base, name, anchored})
    })
  }
  return prunes
}

/** A folder (`''` or ending in `/`) as the start of a pattern. */
function escapeBase(fg: typeof fastGlobModule, dir: string): string {
  return dir === '' ? '' : fg.escapePath(dir)
}

/** A rule file's lines as git reads them: trailing spaces dropped, blank lines and comments skipped. */
function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/(?<!\\) +$/, ''))
    .filter((line) => line !== '' && !line.startsWith('#'))
}

/** The files among fast-glob's entries that the ignore files found among them keep, sorted, and those ignore files' rules. */
function filterEntries(root: string, entries: fastGlobModule.Entry[], dirOnly: Prunes['dirOnly']): {files: string[]; ruleSets: Map<string, RuleSet>} {
  const dirs = new Set<string>([''])
  const candidates: string[] = []
  const ignoreFiles = new Map<string, string[]>()
  for (const entry of entries) {
    const {path, dirent} = entry
    const slash = path.lastIndexOf('/')
    const name = path.slice(slash + 1)
    if (name === '.git') continue
    const parent = path.slice(0, slash + 1)
    if (IGNORE_FILES.includes(name)) ignoreFiles.set(parent, [...(ignoreFiles.get(parent) ?? []), name])
    if (dirent.isDirectory()) dirs.add(`${path}/`)
    else if (dirent.isFile() || dirent.isSymbolicLink()) candidates.push(path)
  }
  // A file named as a folder-only rule prunes (`name/` ignores folders called name, not files).
  for (const {base, name, anchored} of dirOnly) {
    for (const dir of anchored ? [base] : [...dirs].filter((d) => d.startsWith(base))) {
      const stat = dirs.has(dir) ? lstatSync(join(root, dir, name), {throwIfNoEntry: false}) : undefined
      if (stat && (stat.isFile() || stat.isSymbolicLink()) && !candidates.includes(dir + name)) candidates.push(dir + name)
    }
  }
  const ruleSets = new Map<string, RuleSet>()
  for (const [dir, names] of ignoreFiles) ruleSets.set(dir, readRuleSet(root, dir, IGNORE_FILES.filter((f) => names.includes(f))))
  const over = new Map<string, RuleSet[]>([['', ruleSets.has('') ? [ruleSets.get('')!] : []]])
  const rulesOver = (dir: string): RuleSet[] => {
    let found = over.get(dir)
    if (found === undefined) {
      const parent = rulesOver(parentDir(dir))
      found = ruleSets.has(dir) ? [...parent, ruleSets.get(dir)!] : parent
      over.set(dir, found)
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
  const files = candidates.filter((file) => {
    const dir = file.slice(0, file.lastIndexOf('/') + 1)
    return !dirIgnored(dir) && !isIgnored(rulesOver(dir), file)
  })
  // Rules of ignore files inside ignored folders never apply.
  for (const dir of [...ruleSets.keys()]) if (dirIgnored(dir)) ruleSets.delete(dir)
  return {files: files.sort(), ruleSets}
}

/** `a/b/` → `a/`, `a/` → ``. */
function parentDir(dir: string): string {
  return dir.slice(0, dir.lastIndexOf('/', dir.length - 2) + 1)
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

const load = createRequire(import.meta.url)
let fastGlob: typeof fastGlobModule | undefined

/** fast-glob, loaded when a project is walked (in a git work tree git lists the files). */
function loadFastGlob(): typeof fastGlobModule {
  return (fastGlob ??= load('fast-glob') as typeof fastGlobModule)
}
