import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {gitState} from '../../../src/engine/plan/git-state.js'
import {git} from '../../helpers/git.js'

const made: string[] = []
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, {recursive: true, force: true})
})

function repository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'orca-git-state-'))
  made.push(dir)
  git(dir, 'init', '-q')
  writeFileSync(join(dir, 'a.txt'), 'a\n')
  return dir
}

describe('gitState', () => {
  it('follows HEAD, the branch, the tags and the tracked files, not untracked ones', () => {
    const dir = repository()
    git(dir, 'add', 'a.txt')
    git(dir, 'commit', '-qm', 'one')
    const first = gitState(dir)
    expect(first).toMatchObject({head: git(dir, 'rev-parse', 'HEAD').trim(), branch: 'main'})
    // Untracked files (orca's own runs among them) leave it as it was.
    mkdirSync(join(dir, '.orca/runs'), {recursive: true})
    writeFileSync(join(dir, '.orca/runs/x'), 'x')
    expect(gitState(dir)).toEqual(first)
    writeFileSync(join(dir, 'a.txt'), 'changed\n')
    const dirty = gitState(dir)
    expect(dirty.status).not.toBe(first.status)
    expect(dirty.head).toBe(first.head)
    git(dir, 'tag', 'v1')
    expect(gitState(dir).tags).not.toBe(dirty.tags)
    git(dir, 'checkout', '-q', '--detach')
    expect(gitState(dir).branch).toBeNull()
  })

  it('refuses a project below the top of its work tree, and a repository without a commit', () => {
    const dir = repository()
    expect(() => gitState(dir)).toThrow('git: the repository has no commit yet')
    git(dir, 'add', 'a.txt')
    git(dir, 'commit', '-qm', 'one')
    mkdirSync(join(dir, 'sub'))
    expect(() => gitState(join(dir, 'sub'))).toThrow(/is inside the git work tree .*, not at its top/)
  })
})
