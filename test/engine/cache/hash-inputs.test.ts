import {execFileSync} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {sha256} from '../../../src/engine/cache/format.js'
import {hashFile, InputHasher} from '../../../src/engine/cache/hash-inputs.js'
import type {CommittedFiles} from '../../../src/engine/plan/committed-files.js'
import {git} from '../../helpers/git.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'orca-hash-inputs-'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

/** A file last changed an hour ago: old enough for the stat index to trust its stat. */
function oldFile(name: string, text: string): void {
  writeFileSync(join(dir, name), text)
  const anHourAgo = new Date(Date.now() - 3_600_000)
  utimesSync(join(dir, name), anHourAgo, anHourAgo)
}

describe('InputHasher', () => {
  it('takes unchanged files from the stat index and notices a changed one', () => {
    oldFile('a.txt', 'a\n')
    oldFile('b.txt', 'b\n')
    const index = join(dir, 'index.json')
    const first = new InputHasher(dir, index)
    const hashed = first.hash(['b.txt', 'a.txt'])
    expect(hashed.map((i) => i.path)).toEqual(['a.txt', 'b.txt'])
    expect(hashed[0]!.sha256).toBe(hashFile(join(dir, 'a.txt'), 2))
    first.save()

    // Same stat, so the index is trusted: it is what the next hasher reports.
    oldFile('a.txt', 'A\n')
    const second = new InputHasher(dir, index).hash(['a.txt'])
    expect(second[0]!.sha256).toBe(hashFile(join(dir, 'a.txt'), 2))
  })

  it('says which inputs changed after they were hashed, whether read or found in the index', () => {
    oldFile('indexed.txt', 'indexed\n')
    const index = join(dir, 'index.json')
    const warm = new InputHasher(dir, index)
    warm.hash(['indexed.txt'])
    warm.save()

    oldFile('read.txt', 'read\n')
    writeFileSync(join(dir, 'fresh.txt'), 'fresh\n')
    const hasher = new InputHasher(dir, index)
    const inputs = hasher.hash(['indexed.txt', 'read.txt', 'fresh.txt'])
    expect(hasher.changedSince(inputs)).toEqual([])

    writeFileSync(join(dir, 'indexed.txt'), 'edited\n')
    writeFileSync(join(dir, 'fresh.txt'), 'edited too\n')
    rmSync(join(dir, 'read.txt'))
    expect(hasher.changedSince(inputs).sort()).toEqual(['fresh.txt', 'indexed.txt', 'read.txt'])
  })

  it('sees each file as it was first hashed in the run, across jobs', () => {
    oldFile('a.txt', 'a\n')
    oldFile('b.txt', 'b\n')
    const hasher = new InputHasher(dir, join(dir, 'index'))
    const first = hasher.hash(['a.txt', 'gone.txt'])
    writeFileSync(join(dir, 'a.txt'), 'edited while the run keys its jobs\n')
    writeFileSync(join(dir, 'gone.txt'), 'appeared\n')
    const second = hasher.hash(['a.txt', 'b.txt', 'gone.txt'])
    const third = hasher.hash(['b.txt', 'a.txt'])
    expect(first.map((i) => i.path)).toEqual(['a.txt'])
    expect(second.map((i) => i.path)).toEqual(['a.txt', 'b.txt'])
    expect(second[0]).toEqual(first[0])
    expect(third).toEqual(second)
  })

  it('reads a file the index has no row for (opened, then stat) as the plain way (stat, then read) does', () => {
    // Every kind of entry a listing may hold: small, empty, large (past the shared buffer, and read
    // in one go), executable, a symlink (to a file, to nothing, to a folder), a folder, a FIFO, a
    // file that is gone, a path through a file.
    oldFile('small.txt', 'small\n')
    oldFile('empty.txt', '')
    writeFileSync(join(dir, 'large.bin'), Buffer.alloc(200_000, 7))
    writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\n')
    chmodSync(join(dir, 'run.sh'), 0o755)
    symlinkSync('small.txt', join(dir, 'link'))
    symlinkSync('nowhere', join(dir, 'dangling'))
    mkdirSync(join(dir, 'folder'))
    symlinkSync('folder', join(dir, 'to-folder'))
    execFileSync('mkfifo', [join(dir, 'fifo')])
    const listing = ['dangling', 'empty.txt', 'fifo', 'folder', 'gone.txt', 'large.bin', 'link', 'run.sh', 'small.txt', 'small.txt/inside', 'to-folder']
    const index = join(dir, 'index.bin')

    // Opened first: no index yet, so no row for any of them.
    const opened = new InputHasher(dir, index)
    const fromOpen = opened.hash(listing)
    // It records the stat it read through: nothing changed since.
    expect(opened.changedSince(fromOpen)).toEqual([])
    opened.save()
    // The plain way for every file: the index has a row for each, none of whose stats match any more.
    const later = new Date(Date.now() - 1_800_000)
    for (const name of ['empty.txt', 'large.bin', 'run.sh', 'small.txt']) utimesSync(join(dir, name), later, later)
    const plain = new InputHasher(dir, index)
    const fromStat = plain.hash(listing)

    expect(fromOpen).toEqual(fromStat)
    expect(fromOpen.map((input) => [input.path, input.mode])).toEqual([
      ['dangling', '120777'],
      ['empty.txt', '100644'],
      ['large.bin', '100644'],
      ['link', '120777'],
      ['run.sh', '100755'],
      ['small.txt', '100644'],
      ['to-folder', '120777'],
    ])
    expect(fromOpen.find((input) => input.path === 'large.bin')!.sha256).toBe(hashFile(join(dir, 'large.bin'), 200_000))
    expect(plain.changedSince(fromStat)).toEqual([])
  })
})

describe('InputHasher in a git work tree (files named by their git blob ids)', () => {
  const committed = (): CommittedFiles => ({index: join(dir, '.git/index'), prefix: ''})
  const hashObject = (rel: string): string => git(dir, 'hash-object', '--no-filters', rel).trim()

  beforeEach(() => {
    git(dir, 'init', '-q')
    oldFile('a.txt', 'a\n')
    oldFile('b.txt', 'b\n')
    oldFile('c.txt', 'c\n')
    git(dir, 'add', '-A')
    git(dir, 'commit', '-qm', 'files')
  })

  it('names every file by the blob id of its bytes, whichever way it is found', () => {
    writeFileSync(join(dir, 'b.txt'), 'edited\n')
    oldFile('untracked.txt', 'u\n')
    // Same bytes, a new stat: not clean by git's index, named by git all the same.
    const later = new Date(Date.now() - 1_000_000)
    utimesSync(join(dir, 'c.txt'), later, later)
    symlinkSync('a.txt', join(dir, 'link'))
    const index = join(dir, 'stat.idx')
    const files = ['a.txt', 'b.txt', 'c.txt', 'link', 'untracked.txt']
    const fresh = new InputHasher(dir, index, undefined, committed())
    const first = fresh.hash(files)
    expect(first).toEqual([
      {git: hashObject('a.txt'), mode: '100644', path: 'a.txt'},
      {git: hashObject('b.txt'), mode: '100644', path: 'b.txt'},
      {git: hashObject('c.txt'), mode: '100644', path: 'c.txt'},
      {mode: '120777', path: 'link', sha256: sha256('symlink:a.txt')},
      {git: hashObject('untracked.txt'), mode: '100644', path: 'untracked.txt'},
    ])
    fresh.save(files)
    // From the stat index's rows, with none, and without git's index (a pre-commit hook's GIT_INDEX_FILE): the same names.
    expect(new InputHasher(dir, index, undefined, committed()).hash(files)).toEqual(first)
    expect(new InputHasher(dir, undefined, undefined, committed()).hash(files)).toEqual(first)
    expect(new InputHasher(dir, undefined, undefined, {prefix: ''}).hash(files)).toEqual(first)
    // Outside git (and for a remote run's upload) every file is named by its SHA-256.
    const plain = new InputHasher(dir, index).hash(files)
    expect(plain.every((input) => input.sha256 !== undefined)).toBe(true)
    expect(plain[1]!.sha256).toBe(hashFile(join(dir, 'b.txt'), 7))
  })

  it("keeps a file's name whatever git's index says of it: staged, untracked, committed", () => {
    const files = ['a.txt', 'b.txt', 'c.txt']
    const before = new InputHasher(dir, undefined, undefined, committed()).hash(files)
    writeFileSync(join(dir, 'b.txt'), 'staged\n')
    git(dir, 'add', 'b.txt')
    writeFileSync(join(dir, 'b.txt'), 'b\n')
    git(dir, 'rm', '-q', '--cached', 'c.txt')
    expect(new InputHasher(dir, undefined, undefined, committed()).hash(files)).toEqual(before)
    git(dir, 'add', '-A')
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'again')
    expect(new InputHasher(dir, undefined, undefined, committed()).hash(files)).toEqual(before)
  })

  it('leaves out a file removed before git reads it, and says which git-named inputs changed after they were hashed', () => {
    const hasher = new InputHasher(dir, undefined, undefined, committed())
    writeFileSync(join(dir, 'a.txt'), 'edited\n')
    const inputs = hasher.hash(['a.txt', 'b.txt', 'missing.txt'])
    expect(inputs.map((input) => input.path)).toEqual(['a.txt', 'b.txt'])
    expect(inputs.every((input) => input.git !== undefined)).toBe(true)
    expect(hasher.changedSince(inputs)).toEqual([])
    writeFileSync(join(dir, 'b.txt'), 'edited\n')
    writeFileSync(join(dir, 'a.txt'), 'edited again\n')
    expect(hasher.changedSince(inputs)).toEqual(['a.txt', 'b.txt'])
  })
})
