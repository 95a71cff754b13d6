import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {detectProject} from '../../../src/engine/init/detect.js'

const dirs: string[] = []
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'orca-detect-'))
  dirs.push(dir)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), {recursive: true})
    writeFileSync(join(dir, path), text)
  }
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

describe('detectProject', () => {
  it('reads the scripts of a Node project, skipping npm init\'s placeholder test', () => {
    const dir = project({
      'package.json': JSON.stringify({scripts: {build: 'tsc', test: 'echo "Error: no test specified" && exit 1', lint: 'eslint .', start: 'node .'}}),
      'package-lock.json': '{}',
    })
    const facts = detectProject(dir)
    expect(facts.kind).toBe('node')
    expect(facts.node).toEqual({scripts: ['lint', 'build'], lockfile: true})
    expect(facts.present).toContain('package-lock.json')
  })

  it('notices orca among the dependencies of package.json, whatever kind of project it is', () => {
    expect(detectProject(project({'package.json': JSON.stringify({devDependencies: {'orca-runner': '^0.1.0'}})})).orcaIsDependency).toBe(true)
    expect(detectProject(project({'package.json': JSON.stringify({dependencies: {'orca-runner': 'file:../orca.tgz'}}), 'go.mod': 'module x\n'}), 'go').orcaIsDependency).toBe(true)
    expect(detectProject(project({'package.json': JSON.stringify({devDependencies: {orca: '1.0.0'}, scripts: {'orca-runner': 'x'}})})).orcaIsDependency).toBe(false)
    expect(detectProject(project({'package.json': 'null'})).orcaIsDependency).toBe(false)
    expect(detectProject(project({})).orcaIsDependency).toBe(false)
  })

  it('prefers package.json and reports the other kinds found', () => {
    const dir = project({'package.json': '{}', Makefile: 'all:\n\ttrue\n', 'go.mod': 'module x\n'})
    const facts = detectProject(dir)
    expect(facts.kind).toBe('node')
    expect(facts.alsoFound).toEqual(['go', 'make'])
  })

  it('finds well-known Makefile targets, not variables', () => {
    const dir = project({Makefile: 'CC := gcc\nX = 1\nbuild test: deps\n\tcc\nall::\n\tmake build\n.PHONY: test\nclean:\n\trm -rf out\n'})
    expect(detectProject(dir).make).toEqual({targets: ['test', 'build', 'all']})
  })

  it('tells Python projects with and without tests apart', () => {
    expect(detectProject(project({'pyproject.toml': '[project]\nname = "x"\n', 'tests/test_x.py': ''})).python).toEqual({pyproject: true, requirements: false, tests: true})
    expect(detectProject(project({'requirements.txt': 'requests\n', 'app.py': ''})).python).toEqual({pyproject: false, requirements: true, tests: false})
  })

  it('finds a Go main package and the module name', () => {
    expect(detectProject(project({'go.mod': 'module example.com/tool\n\ngo 1.22\n', 'cmd/tool/main.go': 'package main\n'})).go).toEqual({module: 'example.com/tool', main: true})
    expect(detectProject(project({'go.mod': 'module example.com/lib\n', 'lib.go': 'package lib\n'})).go).toEqual({module: 'example.com/lib', main: false})
  })

  it('reads the crate name of [package], not of a dependency', () => {
    const dir = project({'Cargo.toml': '[package]\nname = "hello"\nversion = "0.1.0"\n\n[dependencies]\nname = "other"\n', 'src/main.rs': 'fn main() {}\n'})
    expect(detectProject(dir).rust).toEqual({crate: 'hello', binary: true})
  })

  it('falls back to a generic project, and obeys a forced kind', () => {
    expect(detectProject(project({'README.md': 'hi'})).kind).toBe('generic')
    expect(detectProject(project({'package.json': '{}'}), 'generic').kind).toBe('generic')
  })
})
