import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import * as path from 'node:path'

/** What asking git gave: its output, or why there is none. */
export type GitAnswer = {ok: true; stdout: Buffer} | {ok: false; missing: boolean; message: string}

/** Variables git reads that may hold paths relative to where orca started (a hook sets GIT_INDEX_FILE so). */
const PATH_VARIABLES = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY']

/**
 * Runs `git ARGS` in `cwd`; messages in English (they are matched and shown), output as bytes.
 * Asynchronous, so a run can ask git early and do its own work while git answers.
 */
export function runGit(args: string[], cwd: string, env: NodeJS.ProcessEnv, input?: string): Promise<GitAnswer> {
  const childEnv: NodeJS.ProcessEnv = {...env, LC_ALL: 'C'}
  for (const name of PATH_VARIABLES) {
    const value = env[name]
    if (value) childEnv[name] = path.resolve(value)
  }
  return new Promise((resolve) => {
    const child = spawn('git', args, {cwd, env: childEnv, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']})
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk))
    child.stdin?.on('error', () => undefined)
    child.stdin?.end(input)
    child.on('error', (error: NodeJS.ErrnoException) => {
      const missing = error.code === 'ENOENT'
      resolve({ok: false, missing, message: missing ? 'git is not installed (not found on PATH)' : `git ${args[0]} failed: ${error.message}`})
    })
    child.on('close', (status) => {
      // check-ignore exits 1 when no path is ignored: an answer, not a failure.
      if (status === 0 || (args[0] === 'check-ignore' && status === 1)) return resolve({ok: true, stdout: Buffer.concat(stdout)})
      const lines = Buffer.concat(stderr).toString('utf8').trim().split('\n')
      const message = lines.find((l) => l.startsWith('fatal:')) ?? lines[0]
      resolve({ok: false, missing: false, message: `git ${args[0]} failed: ${message || `exit code ${status}`}`})
    })
  })
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

/** A repository's files under one of its directories, as `git ls-files` lists them: relative to the directory, `/`-separated. */
export interface GitListing {
  /** In git's order (bytes), an unmerged file once per stage; a repository inside follows its superproject's files. */
  tracked: string[]
  /** Untracked files git does not ignore, in git's order. */
  untracked: string[]
}

/**
 * Lists `dir`'s files as git sees them: `git ls-files --cached --others --exclude-standard`. Tracked
 * files are listed even where a `.gitignore` matches them; a tracked file deleted from the work tree
 * is listed too (hashing drops what is gone). A submodule (a gitlink in the index) or an untracked
 * repository inside contributes its own files by its own rules, listed the same way.
 * `excludeDirs` (relative to `dir`, ending in `/`) are left out without git walking them.
 */
export async function gitListFiles(dir: string, options: {top?: string; env: NodeJS.ProcessEnv; excludeDirs?: string[]}): Promise<GitListing | {error: GitAnswer & {ok: false}}> {
  // Gitlinks show only with --stage, which costs ≈ 30 % more on 10k files: asked when the repository has submodules.
  const stage = options.top === undefined || existsSync(path.join(options.top, '.gitmodules'))
  const top = options.top
  // Anchored at the top of the work tree, so only where it is known (not when GIT_DIR names the repository).
  const excludes = top === undefined ? [] : (options.excludeDirs ?? []).map((d) => `--exclude=${anchoredPattern(path.relative(top, dir), d)}`)
  const args = ['ls-files', '-z', '-t', ...(stage ? ['--stage'] : []), '--cached', '--others', '--exclude-standard', ...excludes]
  const answer = await runGit(args, dir, options.env)
  if (!answer.ok) return {error: answer}
  const tracked: string[] = []
  const untracked: string[] = []
  const repositories: string[] = []
  // One string cut once per record (`T path\0`, or `T mode object stage\tpath\0` with --stage): a
  // fully cached run reads 10,000 of them in code not yet optimised.
  const text = answer.stdout.toString('utf8')
  for (let start = 0, end = text.indexOf('\0'); end !== -1; start = end + 1, end = text.indexOf('\0', start)) {
    if (end - start < 3) continue
    if (text.charCodeAt(start) === 63 /* ? */) {
      // An untracked directory listed as a whole is a repository of its own.
      if (text.charCodeAt(end - 1) === 47 /* / */) repositories.push(text.slice(start + 2, end))
      else untracked.push(text.slice(start + 2, end))
    } else if (!stage) {
      tracked.push(text.slice(start + 2, end))
    } else if (text.startsWith('160000', start + 2)) {
      repositories.push(`${text.slice(text.indexOf('\t', start) + 1, end)}/`)
    } else {
      tracked.push(text.slice(text.indexOf('\t', start) + 1, end))
    }
  }
  for (const repository of repositories) {
    const root = path.join(dir, repository)
    // A submodule that is not checked out is an empty folder: nothing to list.
    if (!existsSync(path.join(root, '.git'))) continue
    const inner = await gitListFiles(root, {top: root, env: options.env})
    if ('error' in inner) return inner
    for (const file of inner.tracked) tracked.push(repository + file)
    for (const file of inner.untracked) untracked.push(repository + file)
  }
  return {tracked, untracked}
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
export async function gitIgnoreRule(cwd: string, file: string, env: NodeJS.ProcessEnv): Promise<GitIgnoreRule | undefined | {error: string}> {
  const answer = await runGit(['check-ignore', '-v', '-z', '--no-index', '--non-matching', '--stdin'], cwd, env, `${file}\0`)
  if (!answer.ok) return {error: answer.message}
  const [source, line, pattern] = answer.stdout.toString('utf8').split('\0')
  if (!source) return undefined
  return {source, line: Number(line), pattern: pattern!}
}
