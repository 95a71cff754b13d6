import {spawnSync} from 'node:child_process'
import {mkdirSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {parseRunArgv} from '../../src/cli/run-argv.js'
import {NEUTRAL_ENV, ORCA_BIN, orca as orcaIn, projectsPerTest, readJson, runDirs, type CliOptions} from './cli.js'

const PIPELINE = `version: 1
image: busybox:1.36
jobs:
  greet:
    inputs: []
    network: none
    steps: ["echo hello from the root"]
`

const project = projectsPerTest()
const orca = (args: string[], options: CliOptions) => orcaIn(args, {...options, env: {...NEUTRAL_ENV, ...options.env}})

/** A project with jobs.yml at its root and an empty subfolder two levels down. */
function nested(): {root: string; sub: string} {
  const root = project({'jobs.yml': PIPELINE})
  const sub = join(root, 'src/deep')
  mkdirSync(sub, {recursive: true})
  return {root, sub}
}

const USING = 'using ../.. (jobs.yml)\n'

describe('orca finds its project from a subfolder', () => {
  it('orca run (fast start) runs the parent jobs.yml, records under its .orca/ and names it once on stderr', async () => {
    const {root, sub} = nested()
    const result = await orca(['run', '--output', 'plain'], {cwd: sub})
    expect(result.code).toBe(0)
    expect(result.stderr).toBe(USING)
    expect(result.stdout).toContain('[greet] hello from the root')
    expect(runDirs(root)).toHaveLength(1)
    expect(runDirs(sub)).toEqual([])
    expect(readJson(join(runDirs(root)[0]!, 'run.json'))).toMatchObject({status: 'succeeded'})
  })

  it('orca run through oclif behaves the same', async () => {
    const {root, sub} = nested()
    // `-j1` is left to oclif by the fast parser.
    expect(parseRunArgv(['-j1'])).toBeUndefined()
    const result = await orca(['run', '-j1', '--output', 'plain'], {cwd: sub})
    expect(result.code).toBe(0)
    expect(result.stderr).toBe(USING)
    expect(runDirs(root)).toHaveLength(1)
  })

  it('--output json keeps stdout pure NDJSON: the project line is on stderr', async () => {
    const {sub} = nested()
    const result = await orca(['run', '--output', 'json'], {cwd: sub})
    expect(result.code).toBe(0)
    expect(result.stderr).toBe(USING)
    const events = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as {type: string})
    expect(events.at(-1)?.type).toBe('run.finished')
  })

  it('validate, explain, runs, show, logs, artifacts, cache ls and clean use the same project', async () => {
    const {root, sub} = nested()
    expect((await orca(['run', '--output', 'plain'], {cwd: sub})).code).toBe(0)
    const runId = runDirs(root)[0]!.split('/').at(-1)!

    const validate = await orca(['validate'], {cwd: sub})
    expect([validate.code, validate.stdout, validate.stderr]).toEqual([0, '../../jobs.yml: 1 job, 0 edges, valid\n', USING])

    const explain = await orca(['explain', 'greet'], {cwd: sub})
    expect([explain.code, explain.stderr]).toEqual([0, USING])
    expect(explain.stdout).toContain(`cached by run ${runId}`)

    const runs = await orca(['runs'], {cwd: sub})
    expect([runs.code, runs.stderr]).toEqual([0, USING])
    expect(runs.stdout).toContain(runId)

    const show = await orca(['show', 'latest', '--json'], {cwd: sub})
    expect([show.code, show.stderr]).toEqual([0, USING])
    expect(JSON.parse(show.stdout)).toMatchObject({id: runId})

    const logs = await orca(['logs', 'latest', '--job', 'greet'], {cwd: sub})
    expect([logs.code, logs.stderr]).toEqual([0, USING])
    expect(logs.stdout).toContain('hello from the root')

    const artifacts = await orca(['artifacts', 'latest', '--job', 'greet'], {cwd: sub})
    expect([artifacts.code, artifacts.stdout, artifacts.stderr]).toEqual([0, 'greet: no artifacts\n', USING])

    const cache = await orca(['cache', 'ls', '--json'], {cwd: sub})
    expect([cache.code, cache.stderr]).toEqual([0, USING])
    expect(JSON.parse(cache.stdout)).toEqual([expect.objectContaining({job: 'greet', runId})])

    // Only the runs task: it never touches Docker, whose engine other projects share.
    const clean = await orca(['clean', '--runs', '--dry-run'], {cwd: sub, env: {CI: 'true'}})
    expect(clean.code).toBe(0)
    expect(clean.stderr).toBe(USING)
    expect(clean.stdout).toContain(`would remove run ${runId}`)
  })

  it('says nothing about the project when run in its folder', async () => {
    const {root} = nested()
    const result = await orca(['validate'], {cwd: root})
    expect([result.code, result.stdout, result.stderr]).toEqual([0, 'jobs.yml: 1 job, 0 edges, valid\n', ''])
  })

  it('-f keeps its meaning: a path relative to the working directory, nothing searched', async () => {
    const {sub} = nested()
    const result = await orca(['validate', '-f', 'jobs.yml'], {cwd: sub})
    expect(result.code).toBe(2)
    expect(result.stderr).toBe('jobs.yml: no such file\nhint: create one with "orca init", or point at another file with -f/--file\n')
    const parent = await orca(['run', '-f', '../../jobs.yml', '--output', 'plain'], {cwd: sub})
    expect([parent.code, parent.stderr]).toEqual([0, ''])
  })

  it('says so when the working folder was removed after the shell entered it, for run and the other commands', () => {
    const {sub} = nested()
    for (const args of [['run'], ['validate'], ['runs']]) {
      // The shell enters the folder, removes it, then starts orca in it.
      const result = spawnSync('sh', ['-c', 'cd "$1" && rmdir "$1" && shift && exec "$@"', 'sh', sub, process.execPath, ORCA_BIN, ...args], {encoding: 'utf8'})
      mkdirSync(sub)
      expect(result.status, args.join(' ')).toBe(2)
      expect(result.stdout).toBe('')
      expect(result.stderr).toBe('orca: the working folder no longer exists (it was removed or renamed after this shell entered it)\nhint: cd into your project again\n')
    }
  })

  it('does not look above the git work tree it runs in, and says where it stopped', async () => {
    const {root} = nested()
    const checkout = join(root, 'vendor/tool')
    mkdirSync(join(checkout, '.git'), {recursive: true})
    mkdirSync(join(checkout, 'lib'))
    const result = await orca(['run'], {cwd: join(checkout, 'lib')})
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(
      'jobs.yml: not found here or in any folder above, up to .. (the top of its git repository)\n' +
        'hint: create one with "orca init", or point at another file with -f/--file\n',
    )
    expect(runDirs(checkout)).toEqual([])
  })
})
