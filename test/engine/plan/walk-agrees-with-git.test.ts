import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {walkProjectFiles} from '../../../src/engine/plan/walk.js'
import {git, gitListing} from '../../helpers/git.js'
import {randomGenerator} from '../../helpers/random.js'

// Names and .gitignore lines chosen to collide: folder rules that also name files, negations at
// every depth, anchored and unanchored forms, folder-only rules, and folders that are pruned.
const NAMES = ['a', 'b', 'build', 'node_modules', 'keep.log', 'x.log', 'tmp']
const RULES = ['*.log', '!keep.log', 'build/', '/build', 'build', 'node_modules/', 'node_modules', '!node_modules/', '!node_modules', 'a/b', '/a', 'b/', '!b', '**/tmp/', 'tmp', '.venv', '!.venv/', '!x.log', '# a comment', '', 'tmp ', '!build/', '!build', '!/build', '!a/', '!tmp']

let root: string
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'orca-walk-git-'))
})
afterAll(() => rmSync(root, {recursive: true, force: true}))

describe('the walk outside git', () => {
  it.each([
    ['a deeper negation bringing back a folder the root ignores', {'.gitignore': 'build/\n', 'a/.gitignore': '!build/\n', 'a/build/x': '', 'build/y': ''}],
    ['a negation later in the same file', {'.gitignore': 'build\n!build\n', 'build/x': ''}],
    ['a file named as a folder-only rule', {'.gitignore': 'node_modules/\n', 'pkg/node_modules': '', 'node_modules/x/index.js': ''}],
    ['a folder ignored by an anchored path', {'.gitignore': '/a/b\n', 'a/b/x': '', 'c/a/b/x': ''}],
    ['ignore files inside an ignored folder', {'.gitignore': 'tmp/\n', 'tmp/.gitignore': '!x\n', 'tmp/x': ''}],
  ])('lists what git lists: %s', (_, files) => {
    const dir = mkdtempSync(join(root, 'case-'))
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), {recursive: true})
      writeFileSync(join(dir, path), text)
    }
    git(dir, 'init', '-q')
    expect(walkProjectFiles(dir)).toEqual(gitListing(dir))
  })

  it('lists what git lists as untracked and not ignored, on random trees and ignore files', () => {
    const seeds = Number(process.env.ORCA_WALK_SEEDS ?? 60)
    for (let seed = 1; seed <= seeds; seed++) {
      const random = randomGenerator(seed)
      const dir = join(root, `s${seed}`)
      mkdirSync(dir)
      const write = (path: string, text: string): void => {
        mkdirSync(dirname(join(dir, path)), {recursive: true})
        writeFileSync(join(dir, path), text)
      }
      const folders = ['']
      for (let i = 0; i < 40; i++) {
        const depth = random.int(4)
        const path = Array.from({length: depth + 1}, () => random.pick(NAMES)).join('/')
        try {
          write(path, `${path}\n`)
          for (let d = path.indexOf('/'); d !== -1; d = path.indexOf('/', d + 1)) folders.push(`${path.slice(0, d)}/`)
        } catch {
          // A name already taken by a folder or a file on the way: another path.
        }
      }
      for (const folder of random.sample([...new Set(folders)], 4)) {
        try {
          write(`${folder}.gitignore`, `${random.sample(RULES, 1 + random.int(5)).join('\n')}\n`)
        } catch {
          // `folder` became a file's name: no ignore file there.
        }
      }
      if (random.int(2) === 0) symlinkSync('a', join(dir, 'link'))
      git(dir, 'init', '-q')
      expect(walkProjectFiles(dir), `seed ${seed}`).toEqual(gitListing(dir))
    }
  }, 120_000)
})
