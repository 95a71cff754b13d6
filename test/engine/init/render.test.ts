import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import type {ProjectFacts} from '../../../src/engine/init/detect.js'
import {readSettings, renderCiFile, renderConfigFile, renderJobsFile, renderPreCommitConfig, renderPreCommitHook, schemaReference} from '../../../src/engine/init/render.js'
import {loadConfig} from '../../../src/engine/config/load.js'
import {parsePipeline} from '../../../src/engine/pipeline/parse.js'
import {ciValidator} from '../../helpers/ci-schemas.js'

const settings = readSettings()
const defaults = {timeoutMs: 60_000, cleanup: 'always_remove'} as const
const facts = (f: Partial<ProjectFacts> & Pick<ProjectFacts, 'kind'>): ProjectFacts => ({alsoFound: [], present: [], ...f})

// Each kind, in its variants: every one must give a pipeline that loads.
const CASES: Array<[string, ProjectFacts, string[]]> = [
  ['node with every script', facts({kind: 'node', node: {scripts: ['lint', 'typecheck', 'test', 'build'], lockfile: true}, present: ['package-lock.json']}), ['install', 'lint', 'typecheck', 'test', 'build', 'ci']],
  ['node without scripts or lockfile', facts({kind: 'node', node: {scripts: [], lockfile: false}}), ['install', 'ci']],
  ['python with tests', facts({kind: 'python', python: {pyproject: true, requirements: true, tests: true}}), ['test', 'build', 'ci']],
  ['python without tests nor pyproject', facts({kind: 'python', python: {pyproject: false, requirements: true, tests: false}}), ['check', 'ci']],
  ['go command', facts({kind: 'go', go: {module: 'example.com/x', main: true}}), ['vet', 'test', 'build', 'ci']],
  ['go library', facts({kind: 'go', go: {module: 'example.com/x', main: false}}), ['vet', 'test', 'build', 'ci']],
  ['rust binary', facts({kind: 'rust', rust: {crate: 'hello', binary: true}, present: ['Cargo.lock']}), ['test', 'build', 'ci']],
  ['rust workspace', facts({kind: 'rust', rust: {binary: false}}), ['test', 'build', 'ci']],
  ['make with targets', facts({kind: 'make', make: {targets: ['lint', 'test', 'build', 'all']}}), ['lint', 'test', 'build', 'ci']],
  ['make with only all', facts({kind: 'make', make: {targets: ['all']}}), ['all', 'ci']],
  ['make without known targets', facts({kind: 'make', make: {targets: []}}), ['make', 'ci']],
  ['generic', facts({kind: 'generic'}), ['hello', 'count', 'ci']],
]

describe('renderJobsFile', () => {
  it.each(CASES)('%s: a valid pipeline whose ci job needs every other job', (_name, project, jobs) => {
    const text = renderJobsFile(project, settings)
    const pipeline = parsePipeline(text, 'jobs.yml', '/p/jobs.yml', defaults)
    expect([...pipeline.jobs.keys()]).toEqual(jobs)
    expect([...pipeline.jobs.get('ci')!.needs].sort()).toEqual(jobs.filter((j) => j !== 'ci').sort())
    expect(text.split('\n')[0]).toBe(`# yaml-language-server: $schema=${settings.jobsSchemaUrl}`)
    expect(text).not.toMatch(/\n\s*\n\s*\n/)
  })

  it('uses the kind\'s image, or the one asked for in every job', () => {
    const node = facts({kind: 'node', node: {scripts: ['test'], lockfile: true}})
    const images = (text: string): string[] => [...parsePipeline(text, 'jobs.yml', '/p/jobs.yml', defaults).jobs.values()].map((j) => j.image)
    expect(new Set(images(renderJobsFile(node, settings)))).toEqual(new Set(['node:20-bookworm-slim']))
    expect(new Set(images(renderJobsFile(node, settings, 'orca-test/node:20')))).toEqual(new Set(['orca-test/node:20']))
  })

  it('gives node jobs what caching needs: the lockfile as install input, node_modules passed on, an npm cache volume', () => {
    const text = renderJobsFile(facts({kind: 'node', node: {scripts: ['test', 'build'], lockfile: true}, present: ['package-lock.json']}), settings)
    const pipeline = parsePipeline(text, 'jobs.yml', '/p/jobs.yml', defaults)
    const install = pipeline.jobs.get('install')!
    expect(install.inputs).toEqual(['package.json', 'package-lock.json'])
    expect(install.steps.map((s) => s.run)).toEqual(['npm ci'])
    expect(install.volumes).toEqual({'npm-cache': '/root/.npm'})
    expect(install.artifacts).toEqual(['node_modules/**'])
    expect(pipeline.jobs.get('test')!.inputs).toContain('!node_modules/**')
    expect(pipeline.jobs.get('build')!.artifacts).toEqual(['dist/**'])
  })
})

describe('pinned to this version of orca', () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8')) as {name: string; version: string}

  it('CI files and hooks install the version that wrote them', () => {
    expect(settings.installOrca).toBe(`npm install -g ${pkg.name}@${pkg.version}`)
    const run = {targets: ['ci'], jobsFile: 'jobs.yml'}
    for (const text of [renderCiFile('github', run, settings), renderCiFile('gitlab', run, settings), renderPreCommitHook(run, '', settings)]) {
      expect(text).toContain(`npm install -g ${pkg.name}@${pkg.version}`)
    }
  })

  it('$schema names the published copy of this version, or node_modules when the project depends on orca', () => {
    const generic = facts({kind: 'generic'})
    expect(schemaReference('jobs', 'jobs.yml', generic, settings)).toBe(`https://cdn.jsdelivr.net/npm/${pkg.name}@${pkg.version}/schemas/jobs.schema.json`)
    expect(schemaReference('config', 'orca.config.yml', generic, settings)).toBe(`https://cdn.jsdelivr.net/npm/${pkg.name}@${pkg.version}/schemas/config.schema.json`)
    const local = facts({kind: 'node', orcaIsDependency: true})
    expect(schemaReference('jobs', 'jobs.yml', local, settings)).toBe(`./node_modules/${pkg.name}/schemas/jobs.schema.json`)
    expect(schemaReference('jobs', 'ci/jobs.yml', local, settings)).toBe(`../node_modules/${pkg.name}/schemas/jobs.schema.json`)
    expect(renderJobsFile(local, settings).split('\n')[0]).toBe(`# yaml-language-server: $schema=./node_modules/${pkg.name}/schemas/jobs.schema.json`)
    expect(renderConfigFile(local, settings).split('\n')[0]).toBe(`# yaml-language-server: $schema=./node_modules/${pkg.name}/schemas/config.schema.json`)
  })

  it('every schema a $schema line can name ships in the package', () => {
    const files = (JSON.parse(readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8')) as {files: string[]}).files
    expect(files).toContain('schemas')
    for (const url of [settings.jobsSchemaUrl, settings.configSchemaUrl]) {
      const inPackage = url.split(`${pkg.name}@${pkg.version}/`)[1]!
      expect(existsSync(join(import.meta.dirname, '../../..', inPackage)), inPackage).toBe(true)
    }
  })
})

describe('renderConfigFile', () => {
  it('is a configuration orca accepts', async () => {
    const {mkdtempSync, writeFileSync, rmSync} = await import('node:fs')
    const {tmpdir} = await import('node:os')
    const dir = mkdtempSync(join(tmpdir(), 'orca-config-'))
    try {
      writeFileSync(join(dir, 'orca.config.yml'), renderConfigFile(facts({kind: 'generic'}), settings))
      const config = await loadConfig({cwd: dir, env: {}})
      expect(config.cacheDir).toBe(join(dir, '.orca/cache'))
      expect(config.retention.maxRuns).toBe(50)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('CI files', () => {
  const run = {targets: ['ci'], jobsFile: 'jobs.yml'}

  it('the GitHub workflow matches the published workflow schema, installs orca and persists .orca/cache', () => {
    const text = renderCiFile('github', run, settings)
    const workflow = parse(text) as {jobs: {orca: {steps: Array<{uses?: string; run?: string; with?: Record<string, string>}>}}}
    expect(ciValidator('github-workflow.json')(workflow)).toEqual([])
    const steps = workflow.jobs.orca.steps
    expect(steps.map((s) => s.run).filter(Boolean)).toEqual([settings.installOrca, 'orca run ci -f jobs.yml'])
    const cache = steps.find((s) => s.uses?.startsWith('actions/cache@'))!
    expect(cache.with!.path).toBe('.orca/cache')
    expect(cache.with!.key).toContain("hashFiles('jobs.yml')")
    expect(cache.with!['restore-keys']).toContain("orca-${{ runner.os }}-${{ hashFiles('jobs.yml') }}-")
  })

  it('the GitLab job matches the published .gitlab-ci.yml schema and caches .orca/cache', () => {
    const text = renderCiFile('gitlab', {targets: ['test', 'build'], jobsFile: 'ci/jobs.yml'}, settings)
    const config = parse(text) as {orca: {script: string[]; cache: {paths: string[]}}}
    expect(ciValidator('gitlab-ci.json')(config)).toEqual([])
    expect(config.orca.script).toEqual([settings.installOrca, 'orca run test build -f ci/jobs.yml'])
    expect(config.orca.cache.paths).toEqual(['.orca/cache'])
  })

  it('a schema check notices a broken file (the vendored schemas are not vacuous)', () => {
    expect(ciValidator('github-workflow.json')({on: 'push', jobs: {x: {steps: [{run: 'true'}]}}})).not.toEqual([])
    expect(ciValidator('gitlab-ci.json')({orca: {image: 'x'}})).not.toEqual([])
  })
})

describe('pre-commit', () => {
  it('the hook is a shell script running the targets with plain output from the project folder', () => {
    const hook = renderPreCommitHook({targets: ['ci'], jobsFile: 'jobs.yml'}, 'sub/', settings)
    expect(hook.startsWith('#!/bin/sh\n')).toBe(true)
    expect(hook).toContain('cd "$(git rev-parse --show-toplevel)/sub/"')
    expect(hook).toContain('exec orca run ci -f jobs.yml --output plain')
  })

  it('the framework snippet is a local hook', () => {
    const config = parse(renderPreCommitConfig({targets: ['ci'], jobsFile: 'jobs.yml'}, settings)) as {repos: Array<{repo: string; hooks: Array<{entry: string; pass_filenames: boolean}>}>}
    expect(config.repos[0]!.repo).toBe('local')
    expect(config.repos[0]!.hooks[0]).toMatchObject({entry: 'orca run ci -f jobs.yml --output plain', pass_filenames: false})
  })
})
