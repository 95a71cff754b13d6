import {createRequire} from 'node:module'

import type {Ignore} from 'ignore'
import type ignoreModule from 'ignore'

/** The ignore files of one directory. */
export interface RuleSet {
  /** Directory the rules are relative to: `''` for the project root, else ending in `/`. */
  base: string
  /** Its ignore files, in the order their rules apply (a later match wins). */
  files: Array<{name: string; text: string}>
  /** Compiled on first use: a listing taken whole from the cache needs no matching. */
  compiled?: Ignore
}

/** The pattern that decided a path, as `git check-ignore -v` names one. */
export interface DecidingRule {
  /** The ignore file, relative to the project. */
  file: string
  line: number
  pattern: string
}

/**
 * Whether the rules over `path` ignore it (a directory ends in `/`), with git's precedence: the
 * rules of the deepest directory that match it decide, and within a directory the last matching
 * pattern, so `!keep.log` in `pkg/.gitignore` keeps what a `*.log` at the root ignores. Its parent
 * directories must already be known not to be ignored (git never looks inside an ignored one).
 */
export function isIgnored(ruleSets: readonly RuleSet[], path: string): boolean {
  for (let i = ruleSets.length - 1; i >= 0; i--) {
    const set = ruleSets[i]!
    if (!path.startsWith(set.base)) continue
    const result = testAlone(set, path.slice(set.base.length))
    if (result.ignored) return true
    if (result.unignored) return false
  }
  return false
}

/**
 * The rule that ignores `path`, or the directory above it that is ignored: each directory from the
 * top is checked with the rules over it, then the path itself. undefined when it is not ignored.
 * `ruleSets` are those of the path's directories, shallowest first.
 */
export function decidingRule(ruleSets: readonly RuleSet[], path: string): DecidingRule | undefined {
  const parts = path.split('/')
  for (let depth = 1; depth <= parts.length; depth++) {
    const isLast = depth === parts.length
    const target = parts.slice(0, depth).join('/') + (isLast ? '' : '/')
    const over = ruleSets.filter((set) => target.startsWith(set.base) && target !== set.base)
    for (let i = over.length - 1; i >= 0; i--) {
      const set = over[i]!
      const result = testAlone(set, target.slice(set.base.length))
      if (result.ignored) {
        const [file, line] = result.rule!.mark!.split('\0')
        return {file: set.base + file!, line: Number(line), pattern: result.rule!.pattern}
      }
      if (result.unignored) break
    }
  }
  return undefined
}

/** What one rule set says of a path: its last matching pattern, if any. */
interface TestResult {
  ignored: boolean
  unignored: boolean
  rule?: {pattern: string; mark?: string}
}

/**
 * The set's last pattern matching `path` itself, as git matches a pattern: against the path, never
 * its parent folders. The package's own `test` also answers for the parents, so a shallower set's
 * `*.log` would ignore everything under `x.log/` even where a deeper `!x.log` kept the folder.
 * Its rule list answers for one path (the walk has already settled the parents, with every set's
 * precedence); the public `test` stays the fallback should a release rename it.
 */
function testAlone(set: RuleSet, path: string): TestResult {
  const ig = compiled(set) as unknown as {_rules?: {test?: (path: string, mode: string) => TestResult}}
  return typeof ig._rules?.test === 'function' ? ig._rules.test(path, 'regex') : compiled(set).test(path)
}

function compiled(set: RuleSet): Ignore {
  if (set.compiled === undefined) {
    set.compiled = loadIgnore()()
    for (const {name, text} of set.files) {
      // One pattern a line, marked with where it comes from (for `orca explain --why`).
      set.compiled.add(text.split(/\r?\n/).map((pattern, i) => ({pattern, mark: `${name}\0${i + 1}`})))
    }
  }
  return set.compiled
}

const load = createRequire(import.meta.url)
let ignore: typeof ignoreModule | undefined

/** The ignore package, loaded on first use: a listing taken whole from the cache never matches a rule (see docs/performance.md). */
function loadIgnore(): typeof ignoreModule {
  return (ignore ??= load('ignore') as typeof ignoreModule)
}
