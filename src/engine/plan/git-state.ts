import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {realpathSync} from 'node:fs'

import {OrcaError} from '../errors.js'

/**
 * What a job with `git:` sees of the repository, as its key covers it: HEAD's commit and branch, the
 * tags (what `git describe` reads) and the working tree's state (what `git status` and `git diff`
 * report), never the bytes of `.git`.
 */
export interface GitState {
  head: string
  /** The branch HEAD is on; null when detached. */
  branch: string | null
  /**
   * SHA-256 of `git status --porcelain=v2` of the tracked files (index and work tree against HEAD, with
   * the index's object names). Untracked files are left out: those the job sees are its inputs, hashed
   * as such, and the others (orca's own runs among them) are not in its container.
   */
  status: string
  /** SHA-256 of every tag and the object it names. */
  tags: string
}

/** Asks git synchronously in `dir`; git's own locks are not taken (orca only reads). */
function git(args: string[], dir: string): string {
  const result = spawnSync('git', args, {cwd: dir, encoding: 'buffer', env: {...process.env, LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0'}, maxBuffer: 256 * 1024 ** 2})
  if (result.error) throw new OrcaError('config', `git: cannot run git: ${result.error.message}`, {hint: 'install git, or remove git: from the job'})
  if (result.status !== 0) {
    const message = result.stderr.toString('utf8').trim().split('\n').find((line) => line.startsWith('fatal:')) ?? `git ${args[0]} exited ${result.status}`
    throw new OrcaError('config', `git: ${message}`)
  }
  return result.stdout.toString('utf8')
}

/**
 * The repository state of the project at `projectDir`, which must be the top of its git work tree
 * (the job's workdir stands for it, so paths in the index and in the container are the same).
 */
export function gitState(projectDir: string): GitState {
  const top = git(['rev-parse', '--show-toplevel'], projectDir).trim()
  if (realpathSync(top) !== realpathSync(projectDir)) {
    throw new OrcaError('config', `git: the project ${projectDir} is inside the git work tree ${top}, not at its top`, {
      hint: 'git: gives a job the repository as its workdir: put jobs.yml at the top of the repository',
    })
  }
  const status = git(['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=no'], projectDir)
  const header = (name: string): string | undefined => status.split('\0').find((line) => line.startsWith(`# ${name} `))?.slice(name.length + 3)
  const head = header('branch.oid')
  if (head === undefined || head === '(initial)') throw new OrcaError('config', 'git: the repository has no commit yet', {hint: 'commit once, or remove git: from the job'})
  const branch = header('branch.head')
  const tags = git(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/tags'], projectDir)
  return {
    head,
    branch: branch === undefined || branch === '(detached)' ? null : branch,
    status: sha256(status.split('\0').filter((line) => !line.startsWith('# ')).join('\0')),
    tags: sha256(tags),
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}
