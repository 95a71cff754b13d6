import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import ignore, {type Ignore} from 'ignore'
import picomatch from 'picomatch'

/** Directories a job never sees: orca's own state and version control. */
const ALWAYS_EXCLUDED = new Set(['.git', '.orca'])
const IGNORE_FILES = ['.gitignore', '.orcaignore']

interface RuleSet {
  /** Directory the rules are relative to, `''` for the project root, else ending in `/`. */
  base: string
  rules: Ignore
}

/**
 * Lists the project's files once per run: every regular file or symlink not ignored by a
 * `.gitignore`/`.orcaignore` on its path, as sorted `/`-separated relative paths.
 * Ignored directories are never descended into (a large node_modules costs nothing).
 */
export function indexProjectFiles(projectDir: string): string[] {
  const files: string[] = []
  walk(projectDir, '', [], files)
  return files.sort()
}

function walk(root: string, dir: string, inherited: RuleSet[], out: string[]): void {
  const entries = readdirSync(join(root, dir), {withFileTypes: true})
  const ruleSets = [...inherited]
  const own = loadRules(root, dir, entries.map((e) => e.name))
  if (own) ruleSets.push(own)

  for (const entry of entries) {
    const path = dir + entry.name
    if (dir === '' && ALWAYS_EXCLUDED.has(entry.name)) continue
    if (entry.isDirectory()) {
      if (entry.name === '.git' || isIgnored(ruleSets, `${path}/`)) continue
      walk(root, `${path}/`, ruleSets, out)
    } else if ((entry.isFile() || entry.isSymbolicLink()) && !isIgnored(ruleSets, path)) {
      out.push(path)
    }
  }
}

function loadRules(root: string, dir: string, names: string[]): RuleSet | undefined {
  const present = IGNORE_FILES.filter((f) => names.includes(f))
  if (present.length === 0) return undefined
  const rules = ignore()
  for (const file of present) rules.add(readFileSync(join(root, dir, file), 'utf8'))
  return {base: dir, rules}
}

function isIgnored(ruleSets: RuleSet[], path: string): boolean {
  return ruleSets.some((set) => path.startsWith(set.base) && set.rules.ignores(path.slice(set.base.length)))
}

/**
 * The files a job sees: all indexed files when `globs` is undefined, else those matching a glob.
 * A glob starting with `!` excludes what it matches, as in .gitignore and GitHub Actions paths;
 * a list of only exclusions starts from every file.
 */
export function selectInputs(files: string[], globs: string[] | undefined): string[] {
  if (globs === undefined) return files
  if (globs.length === 0) return []
  const include = globs.filter((g) => !g.startsWith('!'))
  const exclude = globs.filter((g) => g.startsWith('!')).map((g) => g.slice(1))
  const included = globMatcher(include.length > 0 ? include : ['**'])
  const excluded = exclude.length > 0 ? globMatcher(exclude) : () => false
  return files.filter((f) => included(f) && !excluded(f))
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
    if (!PLAIN_PATH.test(tree ?? glob)) return picomatch(globs, {dot: true})
    plain.push(tree === undefined ? (file) => file === glob : (file) => file === tree || file.startsWith(`${tree}/`))
  }
  return (file) => plain.some((matches) => matches(file))
}
