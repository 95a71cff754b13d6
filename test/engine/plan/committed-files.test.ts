import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {committedFiles, convertsNothing} from '../../../src/engine/plan/committed-files.js'
import {git} from '../../helpers/git.js'

let root: string
let top: string
let home: string
/** No user or system configuration but the test's own home. */
let env: NodeJS.ProcessEnv

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'orca-committed-'))
  top = join(root, 'repo')
  home = join(root, 'home')
  mkdirSync(top)
  mkdirSync(home)
  git(top, 'init', '-q')
  env = {HOME: home, GIT_CONFIG_NOSYSTEM: '1'}
})
afterEach(() => rmSync(root, {recursive: true, force: true}))

describe('committedFiles', () => {
  it("gives git's index, and the project's folder within the work tree", () => {
    expect(committedFiles(top, top, ['a.txt'], env)).toEqual({index: join(top, '.git/index'), prefix: ''})
    mkdirSync(join(top, 'app/web'), {recursive: true})
    expect(committedFiles(join(top, 'app/web'), top, ['a.txt'], env)).toEqual({index: join(top, '.git/index'), prefix: 'app/web/'})
  })

  it("reads no index where git converts bytes between the repository and the work tree (files are still named by git's ids)", () => {
    const noIndex = {prefix: ''}
    expect(committedFiles(top, top, ['a.txt', 'src/.gitattributes'], env), 'a .gitattributes among the files').toEqual(noIndex)
    mkdirSync(join(top, 'app'))
    writeFileSync(join(top, '.gitattributes'), '* text=auto\n')
    expect(committedFiles(join(top, 'app'), top, ['a.txt'], env), 'a .gitattributes above the project').toEqual({prefix: 'app/'})
    rmSync(join(top, '.gitattributes'))
    writeFileSync(join(top, '.git/info/attributes'), '*.txt eol=crlf\n')
    expect(committedFiles(top, top, ['a.txt'], env), 'info/attributes').toEqual(noIndex)
    rmSync(join(top, '.git/info/attributes'))
    mkdirSync(join(home, '.config/git'), {recursive: true})
    writeFileSync(join(home, '.config/git/attributes'), '*.bin filter=lfs\n')
    expect(committedFiles(top, top, ['a.txt'], env), 'a global attributes file').toEqual(noIndex)
    rmSync(join(home, '.config/git/attributes'))
    git(top, 'config', 'core.autocrlf', 'input')
    expect(committedFiles(top, top, ['a.txt'], env), 'core.autocrlf').toEqual(noIndex)
    git(top, 'config', 'core.autocrlf', 'false')
    expect(committedFiles(top, top, ['a.txt'], env), 'core.autocrlf false').toEqual({index: join(top, '.git/index'), prefix: ''})
    writeFileSync(join(home, '.gitconfig'), '[core]\n\tattributesFile = ~/attrs\n')
    expect(committedFiles(top, top, ['a.txt'], env), 'core.attributesFile').toEqual(noIndex)
    expect(committedFiles(top, top, ['a.txt'], {...env, GIT_CONFIG_GLOBAL: '/dev/null'}), 'the global configuration moved away').toEqual({index: join(top, '.git/index'), prefix: ''})
  })

  it('reads no index where git is told to look elsewhere or for another object format; names by SHA-256 when turned off', () => {
    expect(committedFiles(top, top, [], {...env, GIT_INDEX_FILE: join(root, 'index')})).toEqual({prefix: ''})
    expect(committedFiles(top, top, [], {...env, GIT_DIR: join(top, '.git')})).toEqual({prefix: ''})
    const worktree = join(root, 'linked')
    mkdirSync(worktree)
    writeFileSync(join(worktree, '.git'), `gitdir: ${join(top, '.git/worktrees/linked')}\n`)
    expect(committedFiles(worktree, worktree, [], env), 'a .git file').toEqual({prefix: ''})
    expect(committedFiles(top, top, [], {...env, ORCA_GIT_IDS: '0'})).toBeUndefined()
    writeFileSync(join(top, '.git/config'), '[core]\n\trepositoryformatversion = 1\n[extensions]\n\tobjectFormat = sha256\n')
    expect(committedFiles(top, top, [], env)).toEqual({prefix: ''})
  })
})

describe('convertsNothing', () => {
  const config = (text: string): boolean => {
    writeFileSync(join(root, 'config'), text)
    return convertsNothing(join(root, 'config'))
  }

  it('accepts a configuration that converts nothing, and a missing file', () => {
    expect(convertsNothing(join(root, 'missing'))).toBe(true)
    expect(config('[core]\n\tfilemode = true\n\tautocrlf = false\n[user]\n\tname = x\n')).toBe(true)
  })

  it('refuses autocrlf on (also written bare), an attributes file, another object format, an include', () => {
    expect(config('[core]\n\tautocrlf = true\n')).toBe(false)
    expect(config('[core]\n\tAutoCRLF\n')).toBe(false)
    expect(config('[core]\n\tautocrlf = input ; comment\n')).toBe(false)
    expect(config('[core]\n\tattributesfile = /x\n')).toBe(false)
    expect(config('[extensions]\n\tobjectFormat = sha256\n')).toBe(false)
    expect(config('[include]\n\tpath = other\n')).toBe(false)
    expect(config('[includeIf "gitdir:~/work/"]\n\tpath = work\n')).toBe(false)
  })
})
