import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import picomatch from 'picomatch'

import {globMatcher, selectInputs} from '../../../src/engine/plan/inputs.js'
import type {ProjectFiles} from '../../../src/engine/plan/project-files.js'
import {walkProjectFiles} from '../../../src/engine/plan/walk.js'

let dir: string
const write = (path: string, text = path): void => {
  mkdirSync(dirname(join(dir, path)), {recursive: true})
  writeFileSync(join(dir, path), text)
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'orca-inputs-'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

describe('walkProjectFiles', () => {
  it('lists files sorted, excluding .git/ and .orca/ always', () => {
    write('src/b.ts')
    write('src/a.ts')
    write('.git/HEAD')
    write('.orca/runs/x/run.json')
    write('.env.example')
    expect(walkProjectFiles(dir)).toEqual(['.env.example', 'src/a.ts', 'src/b.ts'])
  })

  it('lists paths in the order JavaScript sorts them, where files and folders share a prefix', () => {
    const paths = ['a-b', 'a-b.d/x', 'a.txt', 'a/x', 'a/y/z', 'ab.txt', 'ab/c', 'B', 'b-', 'b/.x', 'é/x', 'Z', 'z-/a', 'z/a']
    for (const path of paths) write(path)
    const sorted = [...paths].sort()
    expect(walkProjectFiles(dir)).toEqual(sorted)
    const listingCache = join(dir, '.orca/listing.json')
    walkProjectFiles(dir, {listingCache, now: Date.now() + 60_000})
    expect(walkProjectFiles(dir, {listingCache, now: Date.now() + 60_000})).toEqual(sorted)
  })

  it('honours .gitignore and .orcaignore, including nested ones relative to their directory', () => {
    write('.gitignore', 'node_modules/\n*.log\n')
    write('.orcaignore', 'docs/\n')
    write('node_modules/x/index.js')
    write('debug.log')
    write('docs/a.md')
    write('pkg/.gitignore', 'build\n!keep.log\n')
    write('pkg/build/out.js')
    write('pkg/src/build.ts')
    write('pkg/index.ts')
    expect(walkProjectFiles(dir)).toEqual(['.gitignore', '.orcaignore', 'pkg/.gitignore', 'pkg/index.ts', 'pkg/src/build.ts'])
  })

  it('lists symlinks as entries without following linked directories', () => {
    write('real/file.txt')
    symlinkSync('real', join(dir, 'linked-dir'))
    symlinkSync('real/file.txt', join(dir, 'link.txt'))
    expect(walkProjectFiles(dir)).toEqual(['link.txt', 'linked-dir', 'real/file.txt'])
  })
})

describe('walkProjectFiles with a listing cache', () => {
  // Directories created a moment ago are "racy" (could change again within their timestamp): listing
  // with a clock a minute ahead lets the cache trust them, as it would a while later.
  const later = (): number => Date.now() + 60_000
  const index = (): string[] => walkProjectFiles(dir, {listingCache: join(dir, '.orca/listing.json'), now: later()})

  it('gives the same files as a fresh listing, before and after it is cached', () => {
    write('.gitignore', 'node_modules/\n*.log\n')
    write('src/a.ts')
    write('src/deep/b.ts')
    write('node_modules/x/index.js')
    write('debug.log')
    const fresh = walkProjectFiles(dir)
    expect(index()).toEqual(fresh)
    expect(existsSync(join(dir, '.orca/listing.json'))).toBe(true)
    expect(index()).toEqual(fresh)
  })

  it('notices added and removed files, and ignore rules edited in place', () => {
    write('.gitignore', '*.log\n')
    write('src/a.ts')
    write('src/deep/b.ts')
    write('src/deep/trace.log')
    expect(index()).toEqual(['.gitignore', 'src/a.ts', 'src/deep/b.ts'])
    write('src/deep/c.ts')
    rmSync(join(dir, 'src/a.ts'))
    expect(index()).toEqual(['.gitignore', 'src/deep/b.ts', 'src/deep/c.ts'])
    // Rewriting .gitignore changes no directory's mtime; its content still changes what is listed below it.
    writeFileSync(join(dir, '.gitignore'), '*.ts\n')
    expect(index()).toEqual(['.gitignore', 'src/deep/trace.log'])
  })

  it('trusts a listing until the directory changes (the cache is what it reads)', () => {
    write('src/a.ts')
    index()
    const file = join(dir, '.orca/listing.json')
    const cached = JSON.parse(readFileSync(file, 'utf8')) as {rows: Record<string, unknown[]>}
    cached.rows['src/']![5] = ['a.ts', 'phantom.ts']
    writeFileSync(file, JSON.stringify(cached))
    expect(index()).toEqual(['src/a.ts', 'src/phantom.ts'])
    write('src/b.ts')
    expect(index()).toEqual(['src/a.ts', 'src/b.ts'])
  })
})

describe('selectInputs', () => {
  const files = ['package.json', 'src/a.ts', 'src/deep/b.ts', 'src/a.test.ts', 'README.md', '.eslintrc']
  const project: ProjectFiles = {files, orcaFiles: [], source: 'walk', untracked: []}

  it('returns every file when no globs are given', () => {
    expect(selectInputs(project, undefined)).toEqual(files)
  })

  it('keeps files matching the globs, dotfiles included', () => {
    expect(selectInputs(project, ['src/**', 'package*.json', '.eslintrc'])).toEqual([
      'package.json',
      'src/a.ts',
      'src/deep/b.ts',
      'src/a.test.ts',
      '.eslintrc',
    ])
    expect(selectInputs(project, ['**/*.test.ts'])).toEqual(['src/a.test.ts'])
    expect(selectInputs(project, ['src/**'])).toEqual(['src/a.ts', 'src/deep/b.ts', 'src/a.test.ts'])
  })

  it('drops files matched by a negated glob', () => {
    expect(selectInputs(project, ['src/**', '!**/*.test.ts'])).toEqual(['src/a.ts', 'src/deep/b.ts'])
  })

  it('selects nothing for an empty list', () => {
    expect(selectInputs(project, [])).toEqual([])
  })
})

describe('globMatcher', () => {
  const paths = ['src', 'src/a.ts', 'src/.hidden', 'src/deep/b.ts', 'srcx/a.ts', 'src-old/a.ts', 'docs/readme.md', 'package.json', 'a.b/c', '.github/ci.yml', 'src/a.ts.bak']
  it.each([
    [['src/**']],
    [['src/**', 'docs/readme.md']],
    [['package.json']],
    [['src/a.ts']],
    [['a.b/**']],
    [['**']],
    [['src/**/*.ts']],
    [['*.json', 'src/**']],
    [['.github/**']],
    [['src/{a,b}.ts']],
    [['./src/**']],
    [['src/../docs/**']],
  ])('matches %j as picomatch does', (globs) => {
    const matches = globMatcher(globs)
    const reference = picomatch(globs, {dot: true})
    expect(paths.filter(matches)).toEqual(paths.filter((p) => reference(p)))
  })
})
