import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {gitListFiles} from '../../../src/engine/plan/git.js'
import {listProjectFiles} from '../../../src/engine/plan/project-files.js'
import {whyInput, type InputVerdict} from '../../../src/engine/plan/why-input.js'
import type {Job} from '../../../src/engine/pipeline/types.js'
import {git, GIT_ENV} from '../../helpers/git.js'
import {job} from '../../helpers/pipeline.js'

let dir: string
const write = (path: string, text = `${path}\n`): void => {
  mkdirSync(dirname(join(dir, path)), {recursive: true})
  writeFileSync(join(dir, path), text)
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'orca-why-'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

async function why(asked: string, jobFields: Parameters<typeof job>[1] = {}, env = GIT_ENV): Promise<InputVerdict> {
  const build: Job = job('build', jobFields)
  const project = await listProjectFiles(dir, {env, pipelineFile: join(dir, 'jobs.yml')})
  return whyInput({projectDir: dir, project, job: build, stateDirs: ['.orca/'], pipelineFile: 'jobs.yml', env}, asked, dir)
}

describe('whyInput in a git work tree', () => {
  beforeEach(() => {
    git(dir, 'init', '-q')
    write('.gitignore', '# generated\nconfigure\nbuild/\n')
    write('pkg/.gitignore', '*.tmp\n')
    write('configure')
    write('src/a.ts')
    write('jobs.yml')
    git(dir, 'add', '.gitignore', 'src/a.ts', 'jobs.yml')
    git(dir, 'add', '-f', 'configure')
    git(dir, 'commit', '-qm', 'first')
    write('notes.txt')
    write('build/out.js')
    write('pkg/x.tmp')
    write('.orcaignore', 'secret/\n')
    write('secret/key.pem')
  })

  it('says a tracked file is an input, naming the .gitignore line that also matches it', async () => {
    expect(await why('configure')).toEqual({path: 'configure', file: 'configure', input: true, why: 'an input of build: tracked by git (.gitignore:2: configure matches it, but git keeps the files it tracks)'})
    expect((await why('src/a.ts')).why).toBe('an input of build: tracked by git')
  })

  it('says an untracked file is an input when git does not ignore it', async () => {
    expect((await why('notes.txt')).why).toBe('an input of build: not tracked by git, and no ignore rule matches it')
  })

  it('names the rule that ignores an untracked file, in whichever .gitignore it is, or in .orcaignore', async () => {
    expect(await why('build/out.js')).toMatchObject({input: false, why: 'not an input of build: ignored by git (.gitignore:3: build/)'})
    expect((await why('pkg/x.tmp')).why).toBe('not an input of build: ignored by git (pkg/.gitignore:1: *.tmp)')
    expect((await why('secret/key.pem')).why).toBe('not an input of build: ignored by .orcaignore:1: secret/')
  })

  it("says orca's own files are left out unless a glob names them", async () => {
    expect(await why('jobs.yml')).toMatchObject({input: false, why: expect.stringContaining("orca's own file (the pipeline file in use): not a default input") as string})
    expect((await why('jobs.yml', {inputs: ['*.yml']})).input).toBe(true)
  })

  it("says which of the job's globs leave a file out", async () => {
    expect((await why('notes.txt', {inputs: ['src/**']})).why).toBe("not an input of build: not matched by the job's inputs (src/**)")
    expect((await why('src/a.ts', {inputs: ['src/**', '!**/*.ts']})).why).toBe("not an input of build: excluded by the job's inputs glob !**/*.ts")
    expect((await why('src/a.ts', {inputs: []})).why).toBe('not an input of build: the job has `inputs: []`')
  })

  it('answers for paths that are not files of the project', async () => {
    expect(await why('../elsewhere')).toMatchObject({file: null, input: false})
    expect((await why('missing.txt')).why).toBe('no such file in the project')
    expect((await why('.orca/runs/x')).why).toBe("in orca's own state (.orca/): never an input")
    expect(await why('src')).toMatchObject({input: true, why: 'a directory: 1 of the files under it is an input of build (orca explain build --inputs lists them)'})
    expect((await why('src/a.ts', {steps: []})).why).toBe('build has no steps (a group job): it gets no files')
  })

  it('says a tracked file deleted from the work tree is not an input', async () => {
    rmSync(join(dir, 'src/a.ts'))
    expect(await why('src/a.ts')).toMatchObject({input: false, why: 'listed by git, but deleted from the work tree'})
  })
})

describe('whyInput outside a git work tree', () => {
  it("names the ignore file's line that decides, a directory's rule before its files'", async () => {
    write('.gitignore', 'dist/\n*.log\n')
    write('pkg/.gitignore', '!keep.log\n')
    write('dist/a.js')
    write('x.log')
    write('pkg/keep.log')
    expect((await why('dist/a.js')).why).toBe('not an input of build: ignored by .gitignore:1: dist/')
    expect((await why('x.log')).why).toBe('not an input of build: ignored by .gitignore:2: *.log')
    expect((await why('pkg/keep.log')).why).toBe('an input of build: no .gitignore or .orcaignore ignores it (the project is not in a git work tree)')
  })
})

describe('gitListFiles', () => {
  it('leaves excluded folders to git itself, whatever characters their names hold', async () => {
    git(dir, 'init', '-q')
    for (const path of ['a [1]#!/state/x', 'a [1]#!/kept', 'a [1]#!/.orca/y', '*/z']) write(path)
    const listed = await gitListFiles(join(dir, 'a [1]#!'), {top: dir, env: GIT_ENV, excludeDirs: ['.orca/', 'state/']})
    expect('error' in listed ? listed.error : listed).toEqual({tracked: [], untracked: ['kept']})
  })
})
