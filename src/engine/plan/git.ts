import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import * as path from 'node:path'

/** What asking git gave: its output, or why there is none. */
export type GitAnswer = {ok: true; stdout: Buffer} | {ok: false; missing: boolean; message: string}

/** Variables git reads that may hold paths relative to where orca started (a hook sets GIT_INDEX_FILE so). */
const PATH_VARIABLES = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY']

/** Runs `git ARGS` in `cwd`; messages in English (they are matched and shown), output as bytes. */
export function runGit(args: string[], cwd: string, env: NodeJS.ProcessEnv, input?: string): GitAnswer {
  const childEnv: NodeJS.ProcessEnv = {...env, LC_ALL: 'C'}
  for (const name of PATH_VARIABLES) {
    const value = env[name]
    if (value) childEnv[name] = path.resolve(value)
  }
  const result = spawnSync('git', args, {cwd, env: childEnv, input, maxBuffer: 2 ** 31 - 1, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']})
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT'
    return {ok: false, missing, message: missing ? 'git is not installed (not found on PATH)' : result.error.message}
  }
  // check-ignore exits 1 when no path is ignored: an answer, not a failure.
  if (result.status !== 0 && !(args[0] === 'check-ignore' && result.status === 1)) {
    const lines = result.stderr.toString('utf8').trim().split('\n')
    const message = lines.find((l) => l.startsWith('fatal:')) ?? lines[0]
    return {ok: false, missing: false, message: `git ${args[0]} failed: ${message || `exit code ${result.status}`}`}
  }
  return {ok: true, stdout: result.stdout}
}

/**
 * Where git would find a repository for `dir`: the top of the work tree holding it (the directory
 * with `.git`), `env` when GIT_DIR says, or undefined outside any (without asking git: no process
 * is started for a project that is not in a repository).
 */
export function findWorkTree(dir: string, env: NodeJS.ProcessEnv): {top?: string} | undefined {
  if (env.GIT_DIR) return {}
  for (let current = dir; ; ) {
    if (existsSync(path.join(current, '.git'))) return {top: current}
    const parent = path.dirname(current)
    if (parent === current) return undefined
    current = parent
  }
}

/** A repository's files under one of its directories, as `git ls-files` lists them. */
export interface GitListing {
  /** Tracked files, and untracked files git does not ignore; relative to the directory, `/`-separated. */
  files: string[]
  /** Those of `files` git does not track. */
  untracked: string[]
}

/**
 * Lists `dir`'s files as git sees them: `git ls-files --cached --others --exclude-standard`. Tracked
 * files are listed even where a `.gitignore` matches them; a tracked file deleted from the work tree
 * is listed too (hashing drops what is gone). A submodule (a gitlink in the index) or an untracked
 * repository inside contributes its own files by its own rules, listed the same way.
 * `excludeDirs` (relative to `dir`, ending in `/`) are left out without git walking them.
 */
export function gitListFiles(dir: string, options: {top?: string; env: NodeJS.ProcessEnv; excludeDirs?: string[]}): GitListing | {error: GitAnswer & {ok: false}} {
  // Gitlinks show only with --stage, which costs ≈ 30 % more on 10k files: asked when the repository has submodules.
  const stage = options.top === undefined || existsSync(path.join(options.top, '.gitmodules'))
  const top = options.top
  // Anchored at the top of the work tree, so only where it is known (not when GIT_DIR names the repository).
  const excludes = top === undefined ? [] : (options.excludeDirs ?? []).map((d) => `--exclude=${anchoredPattern(path.relative(top, dir), d)}`)
  const args = ['ls-files', '-z', '-t', ...(stage ? ['--stage'] : []), '--cached', '--others', '--exclude-standard', ...excludes]
  const answer = runGit(args, dir, options.env)
  if (!answer.ok) return {error: answer}
  const files: string[] = []
  const untracked: string[] = []
  const repositories: string[] = []
  for (const record of answer.stdout.toString('utf8').split('\0')) {
    if (record.length < 3) continue
    let file = record.slice(2)
    if (record[0] === '?') {
      // An untracked directory listed as a whole is a repository of its own.
      if (file.endsWith('/')) repositories.push(file)
      else {
        files.push(file)
        untracked.push(file)
      }
      continue
    }
    if (stage) {
      const tab = file.indexOf('\t')
      const mode = file.slice(0, 6)
      file = file.slice(tab + 1)
      if (mode === '160000') {
        repositories.push(`${file}/`)
        continue
      }
    }
    files.push(file)
  }
  for (const repository of repositories) {
    const root = path.join(dir, repository)
    // A submodule that is not checked out is an empty folder: nothing to list.
    if (!existsSync(path.join(root, '.git'))) continue
    const inner = gitListFiles(root, {top: root, env: options.env})
    if ('error' in inner) return inner
    for (const file of inner.files) files.push(repository + file)
    for (const file of inner.untracked) untracked.push(repository + file)
  }
  return {files, untracked}
}

/** The gitignore pattern that matches exactly the directory `dir` (relative to `prefix`, the listed folder, itself relative to the top). */
function anchoredPattern(prefix: string, dir: string): string {
  const full = (prefix === '' ? '' : `${prefix.split(path.sep).join('/')}/`) + dir
  return `/${full.replace(/[\\*?[\]!# ]/g, '\\$&')}`
}

/** The pattern that decides whether git ignores a path (`git check-ignore -v --no-index`). */
export interface GitIgnoreRule {
  /** The file the pattern is in, as git names it (relative to the top of the work tree, or absolute). */
  source: string
  line: number
  pattern: string
}

/**
 * Asks git which pattern matches `file` (relative to `cwd`), whether or not git tracks it: tracked
 * files are inputs even when a pattern matches them. undefined when none does.
 */
export function gitIgnoreRule(cwd: string, file: string, env: NodeJS.ProcessEnv): GitIgnoreRule | undefined | {error: string} {
  const answer = runGit(['check-ignore', '-v', '-z', '--no-index', '--non-matching', '--stdin'], cwd, env, `${file}\0`)
  if (!answer.ok) return {error: answer.message}
  const [source, line, pattern] = answer.stdout.toString('utf8').split('\0')
  if (!source) return undefined
  return {source, line: Number(line), pattern: pattern!}
}
