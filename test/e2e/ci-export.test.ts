import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {ciValidator} from '../helpers/ci-schemas.js'
import {orca, projectsPerTest} from './cli.js'

const project = projectsPerTest()

const JOBS = `version: 1
image: busybox:1.36
jobs:
  build:
    steps: ["echo build"]
  test:
    needs: [build]
    steps: ["echo test"]
`

describe('orca ci github|gitlab (built CLI)', () => {
  it('writes the workflow where GitHub reads it, and --check tells when jobs.yml moved on', async () => {
    const dir = project({'jobs.yml': JOBS})
    const written = await orca(['ci', 'github'], {cwd: dir})
    expect(written.code, written.stderr).toBe(0)
    expect(written.stdout).toBe('wrote .github/workflows/orca.yml (2 CI jobs)\n')
    const file = join(dir, '.github/workflows/orca.yml')
    expect(ciValidator('github-workflow.json')(parse(readFileSync(file, 'utf8')))).toEqual([])

    const fresh = await orca(['ci', 'github', '--check'], {cwd: dir})
    expect(fresh.code, fresh.stderr).toBe(0)
    expect(fresh.stdout).toBe('.github/workflows/orca.yml is up to date (2 CI jobs)\n')

    writeFileSync(join(dir, 'jobs.yml'), `${JOBS}  lint:\n    steps: ["echo lint"]\n  ship:\n    needs: [test, lint]\n    steps: ["echo ship"]\n`)
    const stale = await orca(['ci', 'github', '--check'], {cwd: dir})
    expect(stale.code).toBe(1)
    expect(stale.stderr).toBe(
      '.github/workflows/orca.yml is out of date with jobs.yml:\n  CI jobs to add: lint, ship\nhint: run orca ci github without --check (same options) and commit .github/workflows/orca.yml\n',
    )
    // --check wrote nothing.
    expect(readFileSync(file, 'utf8')).not.toContain('ship')
  })

  it('prints the GitLab child pipeline with -o -, and --check of a file that is not there fails', async () => {
    const dir = project({'jobs.yml': JOBS})
    const printed = await orca(['ci', 'gitlab', '-o', '-', '--runner', 'shell'], {cwd: dir})
    expect(printed.code, printed.stderr).toBe(0)
    const doc = parse(printed.stdout) as Record<string, {stage?: string; needs?: string[]}>
    expect(ciValidator('gitlab-ci.json')(doc)).toEqual([])
    expect(doc['test']).toMatchObject({stage: 'orca-1', needs: ['build']})
    expect(existsSync(join(dir, '.gitlab'))).toBe(false)

    const missing = await orca(['ci', 'gitlab', '--check'], {cwd: dir})
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('.gitlab/orca-pipeline.yml is out of date with jobs.yml:\n  the file does not exist\n')
  })

  it('does not overwrite a file it did not write, unless --force', async () => {
    const dir = project({'jobs.yml': JOBS, '.github/workflows/orca.yml': 'name: mine\n'})
    const refused = await orca(['ci', 'github'], {cwd: dir})
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('not overwriting .github/workflows/orca.yml: orca ci did not write it')
    expect(refused.stderr).not.toContain('    at ')
    expect(readFileSync(join(dir, '.github/workflows/orca.yml'), 'utf8')).toBe('name: mine\n')
    const forced = await orca(['ci', 'github', '--force'], {cwd: dir})
    expect(forced.code, forced.stderr).toBe(0)
  })

  it('says what is wrong with a bad target, group or jobs.yml, exit 2', async () => {
    const dir = project({'jobs.yml': JOBS})
    const target = await orca(['ci', 'github', 'tset'], {cwd: dir})
    expect(target.code).toBe(2)
    expect(target.stderr).toContain('unknown target "tset"')
    const group = await orca(['ci', 'gitlab', 'build', '--group', 'test'], {cwd: dir})
    expect(group.code).toBe(2)
    expect(group.stderr).toContain('--group test is not among the jobs exported')
    writeFileSync(join(dir, 'jobs.yml'), JOBS.replace('needs: [build]', 'needs: [biuld]'))
    const invalid = await orca(['ci', 'github'], {cwd: dir})
    expect(invalid.code).toBe(2)
    expect(invalid.stderr).toMatch(/jobs\.yml:\d+:\d+ .*biuld/)
    expect(invalid.stderr).not.toContain('    at ')
  })
})
