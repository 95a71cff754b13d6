import {existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {InputHasher} from '../../../src/engine/cache/hash-inputs.js'
import {selectInputs} from '../../../src/engine/plan/inputs.js'
import {askGit, listProjectFiles, type ProjectFiles} from '../../../src/engine/plan/project-files.js'
import {walkProjectFiles} from '../../../src/engine/plan/walk.js'
import {git, GIT_ENV, gitListing} from '../../helpers/git.js'

let root: string
let dir: string
const write = (path: string, text = `${path}\n`, base = dir): void => {
  mkdirSync(dirname(join(base, path)), {recursive: true})
  writeFileSync(join(base, path), text)
}
const list = (options: Parameters<typeof listProjectFiles>[1] = {}): Promise<ProjectFiles> => listProjectFiles(dir, {env: GIT_ENV, ...options})

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'orca-project-files-'))
  dir = join(root, 'project')
  mkdirSync(dir)
})
afterEach(() => rmSync(root, {recursive: true, force: true}))

describe('listProjectFiles in a git work tree', () => {
  beforeEach(() => {
    git(dir, 'init', '-q')
  })

  it('lists what git tracks, even files a .gitignore matches, and untracked files git does not ignore', async () => {
    // The redis case: configure and VERSION are tracked, and the .gitignore lists them too.
    write('.gitignore', 'configure\nVERSION\n*.o\nbuild/\n')
    write('deps/jemalloc/configure', '#!/bin/sh\n')
    write('VERSION', '7.2\n')
    write('src/server.c')
    git(dir, 'add', '.gitignore', 'src/server.c')
    git(dir, 'add', '-f', 'deps/jemalloc/configure', 'VERSION')
    git(dir, 'commit', '-qm', 'first')
    write('src/new.c')
    write('src/server.o')
    write('build/out.bin')
    const files = await list()
    expect(files.source).toBe('git')
    expect(files.notice).toBeUndefined()
    expect(files.files).toEqual(['.gitignore', 'VERSION', 'deps/jemalloc/configure', 'src/new.c', 'src/server.c'])
    expect(files.untracked).toEqual(['src/new.c'])
    expect(files.files).toEqual(gitListing(dir))
  })

  it('gives what git lists for nested ignore files and negations, sorted as the walk sorts', async () => {
    write('.gitignore', '*.log\n/build\n**/tmp/\nd/\n!d/keep\n')
    write('pkg/.gitignore', '!keep.log\nlocal/\n')
    for (const path of ['a.log', 'pkg/keep.log', 'pkg/other.log', 'pkg/local/x', 'build/x', 'src/build/y', 'src/tmp/z', 'd/keep', 'B', 'a-b', 'a/x', 'é/x']) write(path)
    // git orders paths by their UTF-8 bytes, JavaScript by UTF-16 units: these two sort apart.
    write('\u{E000}.txt')
    write('\u{1F600}.txt')
    git(dir, 'add', 'B', '\u{E000}.txt', '\u{1F600}.txt')
    git(dir, 'commit', '-qm', 'one')
    const files = (await list()).files
    expect(files).toEqual(gitListing(dir))
    expect(files).toContain('pkg/keep.log')
    expect(files).not.toContain('d/keep')
    expect(files).toEqual([...files].sort())
  })

  it('lists the files of a checked-out submodule and of a repository inside the project, each by its own rules', async () => {
    const upstream = join(root, 'upstream')
    mkdirSync(upstream)
    git(upstream, 'init', '-q')
    write('.gitignore', 'gen/\n', upstream)
    write('lib.c', 'int lib;\n', upstream)
    write('gen/tracked.h', '', upstream)
    git(upstream, 'add', '.gitignore', 'lib.c')
    git(upstream, 'add', '-f', 'gen/tracked.h')
    git(upstream, 'commit', '-qm', 'lib')
    write('main.c')
    git(dir, 'submodule', 'add', '-q', upstream, 'vendor/lib')
    git(dir, 'submodule', 'add', '-q', upstream, 'vendor/unused')
    git(dir, 'add', '-A')
    git(dir, 'commit', '-qm', 'with submodules')
    git(dir, 'submodule', 'deinit', '-q', 'vendor/unused')
    write('vendor/lib/gen/ignored.h')
    write('vendor/lib/notes.txt')
    const nested = join(dir, 'tools/nested')
    mkdirSync(nested, {recursive: true})
    git(nested, 'init', '-q')
    write('tools/nested/run.sh')
    write('tools/nested/.gitignore', '*.tmp\n')
    write('tools/nested/x.tmp')

    expect((await list()).files).toEqual([
      '.gitmodules',
      'main.c',
      'tools/nested/.gitignore',
      'tools/nested/run.sh',
      'vendor/lib/.gitignore',
      'vendor/lib/gen/tracked.h',
      'vendor/lib/lib.c',
      'vendor/lib/notes.txt',
    ])
    expect((await list()).untracked).toEqual(['tools/nested/.gitignore', 'tools/nested/run.sh', 'vendor/lib/notes.txt'])
  })

  it('narrows git’s files by .orcaignore files, a deeper negation keeping what a shallower one drops', async () => {
    write('.orcaignore', 'docs/\n*.md\n')
    write('pkg/.orcaignore', '!README.md\n')
    for (const path of ['README.md', 'docs/a.txt', 'pkg/README.md', 'pkg/CHANGES.md', 'src/a.ts']) write(path)
    expect((await list()).files).toEqual(['.orcaignore', 'pkg/.orcaignore', 'pkg/README.md', 'src/a.ts'])
  })

  it("leaves out orca's state, tracked or not, ignored or not, also under a configured folder with an unusual name", async () => {
    const sub = join(dir, 'we ird[1]#')
    mkdirSync(sub)
    write('src/a.ts')
    write('.orca/tracked.json')
    git(dir, 'add', '-A')
    git(dir, 'commit', '-qm', 'state committed by mistake')
    write('we ird[1]#/jobs.yml')
    write('we ird[1]#/.orca/runs/r1/run.json')
    write('we ird[1]#/cache-here/v1/x')
    write('we ird[1]#/kept.txt')
    expect((await list()).files.filter((f) => !f.startsWith('we ird'))).toEqual(['src/a.ts'])
    expect((await listProjectFiles(sub, {env: GIT_ENV, stateDirs: [join(sub, 'cache-here')]})).files).toEqual(['jobs.yml', 'kept.txt'])
  })

  it("marks orca's own files: the pipeline file, the config file (not a package.json holding it) and .orcaignore files", async () => {
    for (const path of ['jobs.yml', 'ci/other.yml', 'orca.config.yml', 'package.json', '.orcaignore', 'pkg/.orcaignore', 'src/a.ts']) write(path, '')
    expect((await list({pipelineFile: join(dir, 'jobs.yml'), configFile: join(dir, 'orca.config.yml')})).orcaFiles).toEqual(['.orcaignore', 'jobs.yml', 'orca.config.yml', 'pkg/.orcaignore'])
    expect((await list({pipelineFile: join(dir, 'ci/other.yml'), configFile: join(dir, 'package.json')})).orcaFiles).toEqual(['.orcaignore', 'ci/other.yml', 'pkg/.orcaignore'])
  })

  it('falls back to the walk with a one-line notice when git is not installed', async () => {
    write('.gitignore', 'configure\n')
    write('configure')
    write('src/a.ts')
    git(dir, 'add', '-f', 'configure')
    const files = await listProjectFiles(dir, {env: {...GIT_ENV, PATH: join(root, 'no-such-bin')}})
    expect(files.source).toBe('walk')
    expect(files.notice).toBe('git is not installed (not found on PATH); project files are listed by .gitignore and .orcaignore rules instead')
    expect(files.files).toEqual(['.gitignore', 'src/a.ts'])
  })
})

describe("listProjectFiles with git's last answer kept", () => {
  // Paths written a moment ago are "racy": a clock a minute ahead lets the record trust them, as it would a while later.
  const later = (): number => Date.now() + 60_000
  const recordFile = (): string => join(root, 'cache/listing.git.json')
  const kept = (): Promise<ProjectFiles> => listProjectFiles(dir, {env: GIT_ENV, gitListingCache: recordFile(), now: later()})

  beforeEach(() => {
    // A checkout orca ran in before: its records folder exists (a first run only makes it, below).
    mkdirSync(join(root, 'cache'), {recursive: true})
    git(dir, 'init', '-q')
    write('.gitignore', 'build/\n*.o\n')
    write('src/a.c')
    write('build/x')
    write('logs/a.o')
    mkdirSync(join(dir, 'empty'))
    git(dir, 'add', '-A')
    git(dir, 'commit', '-qm', 'first')
  })

  it('gives what git gives, after each change that can change its answer', async () => {
    const steps: Array<[string, () => void]> = [
      ['nothing changed', () => undefined],
      ['an untracked file added', () => write('src/new.c')],
      ['a file added in a folder holding only ignored files', () => write('logs/readme.txt')],
      ['a file added deep in an empty folder', () => write('empty/deep/x.c')],
      ['an ignored file added', () => write('src/b.o')],
      ['the .gitignore edited in place', () => writeFileSync(join(dir, '.gitignore'), 'build/\n')],
      ['a nested .gitignore created', () => write('src/.gitignore', 'new.c\n')],
      ['an ignored file tracked', () => git(dir, 'add', '-f', 'build/x')],
      ['a tracked file untracked', () => git(dir, 'rm', '-q', '--cached', 'src/a.c')],
      ['info/exclude edited', () => writeFileSync(join(dir, '.git/info/exclude'), 'logs/\n')],
      ['core.excludesFile set', () => {
        writeFileSync(join(root, 'global-ignore'), 'empty/\n')
        git(dir, 'config', 'core.excludesFile', join(root, 'global-ignore'))
      }],
      ['the excludes file edited', () => writeFileSync(join(root, 'global-ignore'), '*.c\n')],
      ['a folder removed', () => rmSync(join(dir, 'empty'), {recursive: true})],
      ['a file renamed', () => renameSync(join(dir, 'logs/readme.txt'), join(dir, 'logs/README'))],
      ['a file in the ignored build folder added', () => write('build/y')],
    ]
    for (const [what, change] of steps) {
      change()
      const expected = await list()
      expect(expected.source).toBe('git')
      expect(await kept(), what).toEqual(expected)
      expect(existsSync(recordFile()), what).toBe(true)
      expect(await kept(), `${what}, from the record`).toEqual(expected)
    }
  })

  it('uses the record while nothing it depends on changed (the record is what it reads)', async () => {
    await kept()
    const record = JSON.parse(readFileSync(recordFile(), 'utf8')) as {untracked: string[]}
    record.untracked = ['phantom.c']
    writeFileSync(recordFile(), JSON.stringify(record))
    expect((await kept()).files).toContain('phantom.c')
    write('src/other.c')
    expect((await kept()).files).not.toContain('phantom.c')
  })

  it('gives the same files asked ahead (askGit) as asked in one go, and writes the record only once the answer is taken', async () => {
    write('src/new.c')
    const options = {env: GIT_ENV, gitListingCache: recordFile(), now: later()}
    const asked = askGit(dir, options)
    await asked.listed
    // git answered, but nobody took the answer yet (a run whose pipeline was refused never does).
    expect(existsSync(recordFile())).toBe(false)
    const ahead = await listProjectFiles(dir, options, asked)
    expect(existsSync(recordFile())).toBe(true)
    rmSync(recordFile())
    expect(ahead).toEqual(await kept())
    // Asked about another folder: not used, git is asked about this one.
    const other = join(root, 'other')
    mkdirSync(other)
    expect(await listProjectFiles(dir, options, askGit(other, options))).toEqual(ahead)
  })

  it("records nothing in a checkout's first run, only its records folder, and git's answer from the second run on", async () => {
    rmSync(join(root, 'cache'), {recursive: true})
    expect(await kept()).toEqual(await list())
    expect(existsSync(recordFile())).toBe(false)
    expect(existsSync(join(root, 'cache'))).toBe(true)
    expect(await kept()).toEqual(await list())
    expect(existsSync(recordFile())).toBe(true)
  })

  it('keeps no record for a project holding another repository', async () => {
    git(join(dir, 'logs'), 'init', '-q')
    await kept()
    expect(existsSync(recordFile())).toBe(false)
  })

  it("keeps no record while core.excludesFile names a file in another user's home (not looked up: git is asked every time)", async () => {
    git(dir, 'config', 'core.excludesFile', '~nobody/ignore')
    expect(await kept()).toEqual(await list())
    expect(existsSync(recordFile())).toBe(false)
  })
})

describe('listProjectFiles when git refuses the repository', () => {
  it("falls back to the walk with git's reason in the notice", async () => {
    write('.git', 'gitdir: /nonexistent/orca-test-repository\n')
    write('.gitignore', '*.log\n')
    write('a.log')
    write('src/a.ts')
    const files = await list()
    expect(files.source).toBe('walk')
    expect(files.notice).toMatch(/^git ls-files failed: fatal: not a git repository: .*; project files are listed by \.gitignore and \.orcaignore rules instead$/)
    expect(files.files).toEqual(['.gitignore', 'src/a.ts'])
  })
})

describe('listProjectFiles in a folder of a larger repository', () => {
  beforeEach(() => {
    git(root, 'init', '-q')
  })

  it('falls back to the walk, with a notice, for a project in a folder the repository around it ignores', async () => {
    write('.gitignore', 'project/\n', root)
    write('src/a.ts')
    const files = await list()
    expect(files.source).toBe('walk')
    expect(files.notice).toMatch(/^git lists no file in .*project \(ignored by the repository around it\)/)
    expect(files.files).toEqual(['src/a.ts'])
  })

  it('lists a subfolder project relative to itself', async () => {
    write('outside.txt', '', root)
    write('src/a.ts')
    write('.gitignore', 'b.ts\n')
    write('src/b.ts')
    expect((await list()).files).toEqual(['.gitignore', 'src/a.ts'])
  })
})

describe('listProjectFiles outside a git work tree', () => {
  it('walks the project with the ignore files, and says nothing', async () => {
    write('.gitignore', '*.log\n')
    write('a.log')
    write('src/a.ts')
    const files = await list()
    expect(files).toEqual({files: ['.gitignore', 'src/a.ts'], orcaFiles: [], source: 'walk', untracked: []})
  })

  it('agrees with git on the same tree when nothing is tracked (the walk follows git’s precedence)', async () => {
    write('.gitignore', '*.log\n/build\n**/tmp/\nd/\n!d/keep\n!/important.log\n')
    write('pkg/.gitignore', '!keep.log\nlocal/\n')
    write('pkg/.orcaignore', '')
    for (const path of ['a.log', 'important.log', 'pkg/keep.log', 'pkg/other.log', 'pkg/local/x', 'build/x', 'src/build/y', 'src/tmp/z', 'd/keep', 'B', 'a-b', 'a/x']) write(path)
    symlinkSync('a/x', join(dir, 'link'))
    const walked = walkProjectFiles(dir)
    git(dir, 'init', '-q')
    expect(walked).toEqual(gitListing(dir))
  })
})

describe('selectInputs with orca’s own files', () => {
  const project: ProjectFiles = {files: ['.orcaignore', 'jobs.yml', 'lint.yml', 'src/a.ts', 'src/b.test.ts'], orcaFiles: ['.orcaignore', 'jobs.yml'], source: 'git', untracked: []}

  it('leaves them out of the default inputs and of a list of only exclusions', async () => {
    expect(selectInputs(project, undefined)).toEqual(['lint.yml', 'src/a.ts', 'src/b.test.ts'])
    expect(selectInputs(project, ['!**/*.test.ts'])).toEqual(['lint.yml', 'src/a.ts'])
  })

  it('gives them to a job whose glob matches them', async () => {
    expect(selectInputs(project, ['*.yml'])).toEqual(['jobs.yml', 'lint.yml'])
    expect(selectInputs(project, ['jobs.yml', 'src/**'])).toEqual(['jobs.yml', 'src/a.ts', 'src/b.test.ts'])
  })
})

describe('hashing git’s listing', () => {
  it('leaves out a tracked file deleted from the work tree', async () => {
    git(dir, 'init', '-q')
    write('a.txt')
    write('gone.txt')
    git(dir, 'add', '-A')
    git(dir, 'commit', '-qm', 'two')
    rmSync(join(dir, 'gone.txt'))
    const files = await list()
    expect(files.files).toEqual(['a.txt', 'gone.txt'])
    expect(new InputHasher(dir).hash(selectInputs(files, undefined)).map((i) => i.path)).toEqual(['a.txt'])
  })
})
