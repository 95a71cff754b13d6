import {chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {GitIndex, parseGitIndex} from '../../../src/engine/cache/git-index.js'
import {git} from '../../helpers/git.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'orca-git-index-'))
  git(dir, 'init', '-q')
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

function write(rel: string, text: string): void {
  mkdirSync(join(dir, rel, '..'), {recursive: true})
  writeFileSync(join(dir, rel), text)
}

/** A file written a minute ago, so the index written now does not find it racily clean. */
function committed(files: Record<string, string>): void {
  const aMinuteAgo = new Date(Date.now() - 60_000)
  for (const [rel, text] of Object.entries(files)) {
    write(rel, text)
    utimesSync(join(dir, rel), aMinuteAgo, aMinuteAgo)
  }
  git(dir, 'add', '-A')
  git(dir, 'commit', '-qm', 'files')
}

const index = (): GitIndex => GitIndex.read(join(dir, '.git/index'))!
const hashObject = (rel: string): string => git(dir, 'hash-object', rel).trim()
const FILES = {'a.txt': 'a\n', 'src/b.ts': 'export const b = 1\n', 'src/deep/c.md': '# c\n', 'é/ü.txt': 'unicode\n', 'run.sh': '#!/bin/sh\n'}

describe('GitIndex', () => {
  for (const version of [2, 3, 4]) {
    it(`reads every entry of an index of format ${version}, with the object ids git computes`, () => {
      committed(FILES)
      chmodSync(join(dir, 'run.sh'), 0o755)
      git(dir, 'add', 'run.sh')
      git(dir, 'update-index', '--index-version', String(version))
      if (version === 3) git(dir, 'update-index', '--skip-worktree', 'a.txt')
      const read = index()
      expect(read).toBeDefined()
      for (const rel of Object.keys(FILES)) {
        if (version === 3 && rel === 'a.txt') continue
        expect(read.oid(rel), rel).toBe(hashObject(rel))
        expect(read.cleanOid(rel, lstatSync(join(dir, rel))), rel).toBe(hashObject(rel))
      }
      // skip-worktree (an extended flag, format 3): git does not look at the file, nor does orca.
      if (version === 3) expect(read.oid('a.txt')).toBeUndefined()
      expect(read.oid('missing.txt')).toBeUndefined()
    })
  }

  it('gives no clean id once the stat differs from the one git recorded', () => {
    committed(FILES)
    writeFileSync(join(dir, 'a.txt'), 'A\n')
    const touched = new Date(Date.now() - 30_000)
    utimesSync(join(dir, 'src/b.ts'), touched, touched)
    const read = index()
    expect(read.cleanOid('a.txt', lstatSync(join(dir, 'a.txt')))).toBeUndefined()
    // Same bytes, another mtime: git would read it to decide; so does orca.
    expect(read.cleanOid('src/b.ts', lstatSync(join(dir, 'src/b.ts')))).toBeUndefined()
    expect(read.oid('src/b.ts')).toBe(hashObject('src/b.ts'))
    expect(read.cleanOid('src/deep/c.md', lstatSync(join(dir, 'src/deep/c.md')))).toBe(hashObject('src/deep/c.md'))
  })

  it('gives no clean id for an entry changed in or after the tick the index was written (racily clean)', () => {
    committed(FILES)
    const bytes = readFileSync(join(dir, '.git/index'))
    const stat = lstatSync(join(dir, 'a.txt'), {bigint: true})
    const [s, ns] = [Number(stat.mtimeNs / 1_000_000_000n), Number(stat.mtimeNs % 1_000_000_000n)]
    const plain = lstatSync(join(dir, 'a.txt'))
    // The index written a nanosecond after the file: trusted; in the same nanosecond or before: not.
    expect(parseGitIndex(bytes, s, ns + 1)!.cleanOid('a.txt', plain)).toBe(hashObject('a.txt'))
    expect(parseGitIndex(bytes, s, ns)!.cleanOid('a.txt', plain)).toBeUndefined()
    expect(parseGitIndex(bytes, s - 1, 999_999_999)!.cleanOid('a.txt', plain)).toBeUndefined()
    expect(parseGitIndex(bytes, s, ns)!.oid('a.txt')).toBe(hashObject('a.txt'))
  })

  it('leaves out assume-unchanged, intent-to-add and symlink entries', () => {
    symlinkSync('a.txt', join(dir, 'link'))
    committed(FILES)
    git(dir, 'update-index', '--assume-unchanged', 'a.txt')
    write('new.txt', 'new\n')
    git(dir, 'add', '-N', 'new.txt')
    const read = index()
    expect(read.oid('a.txt')).toBeUndefined()
    expect(read.oid('new.txt')).toBeUndefined()
    expect(read.oid('link')).toBeUndefined()
    expect(read.oid('src/b.ts')).toBe(hashObject('src/b.ts'))
  })

  it('leaves out every stage of an unmerged path', () => {
    committed({'a.txt': 'base\n', 'b.txt': 'b\n'})
    git(dir, 'checkout', '-qb', 'other')
    committed({'a.txt': 'other\n'})
    git(dir, 'checkout', '-q', 'main')
    committed({'a.txt': 'main\n'})
    try {
      git(dir, 'merge', '-q', 'other')
    } catch {
      // The conflict is the point.
    }
    const read = index()
    expect(read.oid('a.txt')).toBeUndefined()
    expect(read.oid('b.txt')).toBe(hashObject('b.txt'))
  })

  it('is no index for a split index, a damaged file or another format', () => {
    committed(FILES)
    const bytes = readFileSync(join(dir, '.git/index'))
    expect(parseGitIndex(bytes, 2 ** 31, 0)).toBeDefined()
    expect(parseGitIndex(bytes.subarray(0, bytes.length - 30), 2 ** 31, 0)).toBeUndefined()
    const other = Buffer.from(bytes)
    other.writeUInt32BE(5, 4)
    expect(parseGitIndex(other, 2 ** 31, 0)).toBeUndefined()
    expect(GitIndex.read(join(dir, 'missing'))).toBeUndefined()
    git(dir, 'update-index', '--split-index')
    expect(GitIndex.read(join(dir, '.git/index'))).toBeUndefined()
  })
})
