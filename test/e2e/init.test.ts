import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ORCA_BIN, orca, readJson, runDirs, projectsPerTest} from './cli.js'

// Built by scripts/test-images.sh from this machine's node, npm and make: the registry images the
// templates name (node:20-bookworm-slim, gcc:13, ...) cannot be pulled here, so --image stands in.
const NODE_IMAGE = 'orca-test/node:20'

type RunRecord = {status: string; jobs: Record<string, {status: string; artifacts: {manifest: string} | null}>}

const project = projectsPerTest()

function lastRecord(dir: string): RunRecord {
  return readJson<RunRecord>(join(runDirs(dir).at(-1)!, 'run.json'))
}

/** The artifact paths the first run's manifest of a job lists. */
function artifactPaths(dir: string, record: RunRecord, job: string): string[] {
  return readJson<{files: Array<{path: string}>}>(join(runDirs(dir)[0]!, record.jobs[job]!.artifacts!.manifest)).files.map((f) => f.path)
}
const statuses = (record: RunRecord): Record<string, string> => Object.fromEntries(Object.entries(record.jobs).map(([name, job]) => [name, job.status]))

/** init, run, run again: the first run succeeds on the real engine, the second takes everything from the cache. */
async function initRunTwice(dir: string, initArgs: string[], expectedJobs: string[]): Promise<RunRecord> {
  const init = await orca(['init', ...initArgs], {cwd: dir})
  expect(init.stderr).not.toContain('error')
  expect(init.code).toBe(0)
  expect(init.stdout).toContain('wrote jobs.yml\nwrote orca.config.yml')
  expect(init.stdout).toContain('next: orca run ci')

  const first = await orca(['run', 'ci', '--output', 'plain'], {cwd: dir})
  expect(first.stdout + first.stderr).toContain('succeeded')
  expect(first.code).toBe(0)
  const record = lastRecord(dir)
  expect(Object.keys(record.jobs).sort()).toEqual([...expectedJobs].sort())
  expect(Object.values(statuses(record)).every((s) => s === 'succeeded')).toBe(true)

  const second = await orca(['run', 'ci', '--output', 'plain'], {cwd: dir})
  expect(second.code).toBe(0)
  expect(Object.values(statuses(lastRecord(dir))).every((s) => s === 'cached')).toBe(true)
  return record
}

describe('orca init, then orca run (real engine)', () => {
  it('a folder with nothing recognisable gets the busybox example, which runs and then comes from the cache', async () => {
    const dir = project({'README.md': '# notes\n', 'data/a.txt': 'a\n'})
    const record = await initRunTwice(dir, [], ['hello', 'count', 'ci'])
    expect(artifactPaths(dir, record, 'hello')).toEqual(['out/files.txt'])
  })

  it('a Node project: install, lint, test and build run from its package.json scripts', async () => {
    const dir = project({
      'package.json': JSON.stringify({
        name: 'sample',
        version: '1.0.0',
        scripts: {lint: 'node -e "require(\'./src/greet.js\')"', test: 'node test.js', build: 'node build.js'},
      }),
      'package-lock.json': JSON.stringify({name: 'sample', version: '1.0.0', lockfileVersion: 3, requires: true, packages: {'': {name: 'sample', version: '1.0.0'}}}),
      'src/greet.js': 'module.exports = (n) => `hello ${n}`\n',
      'test.js': "const assert = require('assert'); assert.strictEqual(require('./src/greet.js')('x'), 'hello x'); console.log('1 test passed')\n",
      'build.js': "require('fs').mkdirSync('dist', {recursive: true}); require('fs').writeFileSync('dist/greet.txt', require('./src/greet.js')('build'))\n",
    })
    const record = await initRunTwice(dir, ['--image', NODE_IMAGE], ['install', 'lint', 'test', 'build', 'ci'])
    expect(artifactPaths(dir, record, 'build')).toEqual(['dist/greet.txt'])
    expect(readFileSync(join(runDirs(dir)[0]!, 'artifacts/build/dist/greet.txt'), 'utf8')).toBe('hello build')
  })

  it('a Makefile project: its test and build targets become jobs', async () => {
    const dir = project({
      Makefile: 'build:\n\tmkdir -p out && cat src/*.txt > out/all.txt\n\ntest:\n\ttest "$$(cat src/*.txt | wc -l)" -eq 2\n\n.PHONY: build test\n',
      'src/a.txt': 'a\n',
      'src/b.txt': 'b\n',
    })
    await initRunTwice(dir, ['--image', NODE_IMAGE], ['test', 'build', 'ci'])
  })

  // python:3.12-slim, golang:1.22 and rust:1-slim cannot be pulled here and there is no local stand-in:
  // these pipelines are checked to load and plan (orca validate), not run.
  it.each([
    ['python', {'pyproject.toml': '[project]\nname = "sample"\nversion = "0.1.0"\n', 'tests/test_x.py': 'def test_x():\n    assert True\n'}, '3 jobs'],
    ['go', {'go.mod': 'module example.com/sample\n\ngo 1.22\n', 'main.go': 'package main\n\nfunc main() {}\n'}, '4 jobs'],
    ['rust', {'Cargo.toml': '[package]\nname = "sample"\nversion = "0.1.0"\nedition = "2021"\n', 'src/main.rs': 'fn main() {}\n'}, '3 jobs'],
  ])('a %s project gets a pipeline orca validates', async (_kind, files, jobs) => {
    const dir = project(files)
    expect((await orca(['init'], {cwd: dir})).code).toBe(0)
    const validate = await orca(['validate'], {cwd: dir})
    expect(validate.stdout).toContain(`jobs.yml: ${jobs}`)
    expect(validate.code).toBe(0)
  })
})

describe('orca init (CLI)', () => {
  it('refuses to overwrite with exit code 2 and names the files; --force replaces them', async () => {
    const dir = project({'jobs.yml': 'mine\n'})
    const refused = await orca(['init'], {cwd: dir})
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('error: not overwriting jobs.yml\nhint: move them away, or run again with --force')
    expect(readFileSync(join(dir, 'jobs.yml'), 'utf8')).toBe('mine\n')
    expect((await orca(['init', '--force'], {cwd: dir})).code).toBe(0)
    expect(readFileSync(join(dir, 'jobs.yml'), 'utf8')).toContain('version: 1')
  })

  it('adds CI files later without touching the pipeline', async () => {
    const dir = project({})
    await orca(['init'], {cwd: dir})
    const ci = await orca(['init', '--ci', 'github', '--ci', 'gitlab'], {cwd: dir})
    expect(ci.code).toBe(0)
    expect(ci.stdout).toContain('wrote .github/workflows/orca.yml\nwrote .gitlab-ci.yml\nkept jobs.yml (exists)\nkept orca.config.yml (exists)')
    expect(existsSync(join(dir, '.github/workflows/orca.yml'))).toBe(true)
  })

  it('--pre-commit outside a git repository explains itself and writes nothing', async () => {
    const dir = project({})
    const result = await orca(['init', '--pre-commit'], {cwd: dir})
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('is not a git repository, so there is nowhere to install a pre-commit hook')
    expect(existsSync(join(dir, 'jobs.yml'))).toBe(false)
  })

  it('the pre-commit hook runs the jobs, and an unchanged tree comes from the cache', async () => {
    const dir = project({'notes.txt': 'hi\n'})
    execFileSync('git', ['init', '-q'], {cwd: dir})
    expect((await orca(['init', '--pre-commit'], {cwd: dir})).code).toBe(0)
    // `orca` on PATH, as after `npm install -g orca-runner`.
    const bin = join(dir, '.bin')
    mkdirSync(bin)
    writeFileSync(join(bin, 'orca'), `#!/bin/sh\nexec "${process.execPath}" "${ORCA_BIN}" "$@"\n`)
    chmodSync(join(bin, 'orca'), 0o755)
    writeFileSync(join(dir, '.gitignore'), '.bin/\n.orca/\n')
    const hook = (): string => execFileSync(join(dir, '.git/hooks/pre-commit'), {cwd: dir, encoding: 'utf8', env: {...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1'}})
    expect(hook()).toContain('3 jobs: 3 succeeded')
    expect(hook()).toContain('3 jobs: 3 cached')
  })
})
