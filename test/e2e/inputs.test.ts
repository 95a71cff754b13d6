import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {git} from '../helpers/git.js'
import {orca, projectsPerTest, readJson, runDirs} from './cli.js'

type RunRecord = {id: string; status: string; jobs: Record<string, {status: string}>}

const project = projectsPerTest()
const scratch: string[] = []
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, {recursive: true, force: true})
})

/** orca with git's user and system configuration out of the way, as in the listing tests. */
const orcaIn = (dir: string, args: string[], env: NodeJS.ProcessEnv = {}) => orca(args, {cwd: dir, env: {GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', ...env}})

async function run(dir: string, args: string[] = []): Promise<RunRecord> {
  const result = await orcaIn(dir, ['run', '--output', 'plain', ...args])
  expect(result.stderr).not.toContain('    at ')
  expect(result.code, result.stdout + result.stderr).toBe(0)
  return readJson<RunRecord>(join(runDirs(dir).at(-1)!, 'run.json'))
}
const statuses = (record: RunRecord): Record<string, string> => Object.fromEntries(Object.entries(record.jobs).map(([k, v]) => [k, v.status]))
const artifact = (dir: string, job: string, path: string): string => readFileSync(join(runDirs(dir).at(-1)!, 'artifacts', job, path), 'utf8')

/** A project that is a git repository with a first commit of `tracked` (added with -f: a .gitignore may list them). */
function repository(files: Record<string, string>, tracked: string[]): string {
  const dir = project(files)
  git(dir, 'init', '-q')
  git(dir, 'add', '-f', ...tracked)
  git(dir, 'commit', '-qm', 'first')
  return dir
}

// The redis case: its .gitignore lists files it tracks (deps/jemalloc/configure, VERSION).
const REDIS_LIKE = {
  '.gitignore': 'configure\nVERSION\n*.log\nsecret.txt\n',
  'deps/jemalloc/configure': '#!/bin/sh\necho configured\n',
  VERSION: '7.2.4\n',
  'pkg/.gitignore': '!keep.log\n',
  'pkg/keep.log': 'kept by a deeper negation\n',
  'pkg/other.log': 'ignored\n',
  'secret.txt': 'untracked and ignored\n',
  'notes.txt': 'untracked, not ignored\n',
  'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  build:
    network: none
    steps:
      - mkdir -p out && cd deps/jemalloc && ./configure > ../../out/configure.txt
      - cp VERSION pkg/keep.log notes.txt out/
      - ls -a > out/ls.txt && ls pkg > out/pkg.txt
    artifacts: ["out/**"]
`,
}

describe('inputs follow git (real engine)', () => {
  it('gives a job the files git tracks even where a .gitignore lists them, and what a nested negation keeps, but not ignored untracked files', async () => {
    const dir = repository(REDIS_LIKE, ['.gitignore', 'pkg/.gitignore', 'deps/jemalloc/configure', 'VERSION', 'jobs.yml'])
    chmodSync(join(dir, 'deps/jemalloc/configure'), 0o755)
    const record = await run(dir)
    expect(statuses(record)).toEqual({build: 'succeeded'})
    expect(artifact(dir, 'build', 'out/configure.txt')).toBe('configured\n')
    expect(artifact(dir, 'build', 'out/VERSION')).toBe('7.2.4\n')
    expect(artifact(dir, 'build', 'out/keep.log')).toBe('kept by a deeper negation\n')
    expect(artifact(dir, 'build', 'out/notes.txt')).toBe('untracked, not ignored\n')
    const top = artifact(dir, 'build', 'out/ls.txt').split('\n')
    expect(top).not.toContain('secret.txt')
    expect(top).not.toContain('jobs.yml')
    expect(top).not.toContain('.git')
    expect(artifact(dir, 'build', 'out/pkg.txt').split('\n').filter(Boolean)).toEqual(['keep.log'])

    const listed = await orcaIn(dir, ['explain', 'build', '--inputs'])
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.stdout).toBe(
      [
        'build: 6 input files (tracked by git, or untracked and not ignored by git)',
        '  .gitignore',
        '  VERSION',
        '  deps/jemalloc/configure',
        '  notes.txt  (untracked)',
        '  pkg/.gitignore',
        '  pkg/keep.log  (untracked)',
        "  left out, orca's own: jobs.yml (a job gets them only when its inputs name them)",
        '',
      ].join('\n'),
    )
    const why = await orcaIn(dir, ['explain', 'build', '--why', 'deps/jemalloc/configure', '--why', 'secret.txt', '--why', 'jobs.yml', '--why', 'pkg/other.log'])
    expect(why.code, why.stderr).toBe(0)
    expect(why.stdout.split('\n')).toEqual([
      'deps/jemalloc/configure: an input of build: tracked by git (.gitignore:1: configure matches it, but git keeps the files it tracks)',
      'secret.txt: not an input of build: ignored by git (.gitignore:4: secret.txt)',
      "jobs.yml: not an input of build: orca's own file (the pipeline file in use): not a default input, as what it says is already in the job's key; a job whose inputs glob matches it gets it",
      'pkg/other.log: not an input of build: ignored by git (.gitignore:3: *.log)',
      '',
    ])
    const json = await orcaIn(dir, ['explain', 'build', '--why', 'VERSION', '--json'])
    expect(JSON.parse(json.stdout)).toEqual({job: 'build', source: 'git', verdicts: [{path: 'VERSION', file: 'VERSION', input: true, why: expect.stringMatching(/^an input of build: tracked by git/) as string}]})

    const dry = await orcaIn(dir, ['run', '--dry-run', '--inputs'])
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toMatch(/build .* hit +cached by run/)
    expect(dry.stdout).toContain('\nbuild: 6 input files\n  .gitignore\n  VERSION\n  deps/jemalloc/configure\n  notes.txt  (untracked)\n')

    // git's kept answer gives way to a new untracked file: the next run has it.
    writeFileSync(join(dir, 'added.txt'), 'new\n')
    expect(statuses(await run(dir))).toEqual({build: 'succeeded'})
    expect(artifact(dir, 'build', 'out/ls.txt').split('\n')).toContain('added.txt')
  })

  it('gives a job the files of a checked-out submodule', async () => {
    const upstream = mkdtempSync(join(tmpdir(), 'orca-e2e-upstream-'))
    scratch.push(upstream)
    writeFileSync(join(upstream, 'lib.txt'), 'from the submodule\n')
    git(upstream, 'init', '-q')
    git(upstream, 'add', 'lib.txt')
    git(upstream, 'commit', '-qm', 'lib')
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  use:
    network: none
    steps: ["mkdir -p out && cat vendor/lib/lib.txt > out/lib.txt && ls -a vendor/lib > out/ls.txt"]
    artifacts: ["out/**"]
`,
    })
    git(dir, 'init', '-q')
    git(dir, 'submodule', 'add', '-q', upstream, 'vendor/lib')
    git(dir, 'add', '-A')
    git(dir, 'commit', '-qm', 'with a submodule')
    expect(statuses(await run(dir))).toEqual({use: 'succeeded'})
    expect(artifact(dir, 'use', 'out/lib.txt')).toBe('from the submodule\n')
    // The submodule's `.git` file names a folder of the host: not a project file.
    expect(artifact(dir, 'use', 'out/ls.txt').split('\n')).not.toContain('.git')
  })

  it('reruns only the job whose steps changed in jobs.yml; a job that names jobs.yml in its inputs gets it', async () => {
    const pipeline = (bStep: string): string => `version: 1
image: busybox:1.36
jobs:
  a:
    network: none
    steps: ["mkdir -p out && cat src/a.txt > out/a.txt"]
    artifacts: ["out/**"]
  b:
    network: none
    steps: ["${bStep}"]
  c:
    needs: [a]
    network: none
    steps: ["cat out/a.txt"]
  lint:
    network: none
    inputs: ["*.yml"]
    steps: ["grep -q 'version: 1' jobs.yml"]
`
    const dir = repository({'src/a.txt': 'a\n', 'jobs.yml': pipeline('echo one')}, ['src/a.txt', 'jobs.yml'])
    expect(statuses(await run(dir))).toEqual({a: 'succeeded', b: 'succeeded', c: 'succeeded', lint: 'succeeded'})
    writeFileSync(join(dir, 'jobs.yml'), pipeline('echo two'))
    expect(statuses(await run(dir))).toEqual({a: 'cached', b: 'succeeded', c: 'cached', lint: 'succeeded'})
    expect(statuses(await run(dir))).toEqual({a: 'cached', b: 'cached', c: 'cached', lint: 'cached'})
  })

  it('falls back to the ignore files with a one-line notice when git is not on PATH', async () => {
    const dir = repository({'.gitignore': 'configure\n', configure: 'x\n', 'src/a.txt': 'a\n', 'jobs.yml': 'version: 1\nimage: busybox:1.36\njobs:\n  build:\n    steps: ["true"]\n'}, ['configure', 'src/a.txt'])
    const empty = join(dir, '.orca/empty-path')
    mkdirSync(empty, {recursive: true})
    const result = await orcaIn(dir, ['explain', 'build', '--inputs'], {PATH: empty})
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toBe('notice: git is not installed (not found on PATH); project files are listed by .gitignore and .orcaignore rules instead\n')
    expect(result.stdout).toContain('build: 2 input files (files no .gitignore or .orcaignore ignores)\n  .gitignore\n  src/a.txt\n')
  })
})
