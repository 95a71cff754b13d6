import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'

import {OrcaError} from '../errors.js'
import {runGit} from '../plan/git.js'

/** A repository made for one job with `git:`: `gitDir` becomes the job's `workdir/.git`. */
export interface GitHistory {
  gitDir: string
  dispose(): void
}

// Variables that would point git at the user's repository instead of the one made here (a hook sets them).
const REPOSITORY_VARIABLES = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES']

/**
 * The history a job with `git:` gets, made from the project's repository by git itself: with no
 * depth, a local clone (objects hard-linked, every branch and tag); with `depth`, HEAD's last `depth`
 * commits fetched alone (no tags, as a shallow CI checkout). Either way HEAD is the project's commit
 * on the project's branch (a worktree's own HEAD too), and the index is HEAD's tree, so `git status`
 * in the job reports what differs from HEAD in its workspace. Tracked files the job does not see (not
 * among its `inputs`, e.g. jobs.yml) are marked skip-worktree, as a sparse checkout's are: git does
 * not call them deleted.
 */
export async function gitHistory(projectDir: string, git: {depth?: number}, inputFiles: readonly string[]): Promise<GitHistory> {
  const env: NodeJS.ProcessEnv = {...process.env, GIT_OPTIONAL_LOCKS: '0'}
  for (const name of REPOSITORY_VARIABLES) delete env[name]
  const ask = async (args: string[], cwd: string, input?: string): Promise<string> => {
    const answer = await runGit(args, cwd, env, input)
    if (!answer.ok) throw new OrcaError('infra', `git: cannot copy the repository's history: ${answer.message}`)
    return answer.stdout.toString('utf8').trim()
  }
  const head = await ask(['rev-parse', '--verify', 'HEAD^{commit}'], projectDir)
  const branch = await runGit(['symbolic-ref', '-q', '--short', 'HEAD'], projectDir, env)
  const root = mkdtempSync(path.join(tmpdir(), 'orca-git-'))
  const dispose = (): void => rmSync(root, {recursive: true, force: true})
  const repo = path.join(root, 'repository')
  try {
    if (git.depth === undefined) {
      await ask(['clone', '--quiet', '--local', '--no-checkout', projectDir, repo], root)
      await ask(['remote', 'remove', 'origin'], repo)
    } else {
      await ask(['init', '--quiet', repo], root)
      await ask(['fetch', '--quiet', '--no-tags', `--depth=${git.depth}`, `file://${projectDir}`, head], repo)
    }
    const name = branch.ok ? branch.stdout.toString('utf8').trim() : ''
    if (name === '') {
      await ask(['update-ref', '--no-deref', 'HEAD', head], repo)
    } else {
      await ask(['update-ref', `refs/heads/${name}`, head], repo)
      await ask(['symbolic-ref', 'HEAD', `refs/heads/${name}`], repo)
    }
    await ask(['read-tree', 'HEAD'], repo)
    const seen = new Set(inputFiles)
    const unseen = (await ask(['ls-files', '-z'], repo)).split('\0').filter((file) => file !== '' && !seen.has(file))
    if (unseen.length > 0) await ask(['update-index', '-z', '--skip-worktree', '--stdin'], repo, unseen.map((file) => `${file}\0`).join(''))
    return {gitDir: path.join(repo, '.git'), dispose}
  } catch (error) {
    dispose()
    throw error
  }
}
