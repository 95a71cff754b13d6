import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync, realpathSync} from 'node:fs'
import {basename, join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {containers, makeProject, orca, readJson, removeProjectResources, removeRunContainers, runDirs} from './cli.js'
import {startLiveRun} from './history-helpers.js'

const PIPELINE = `version: 1
image: busybox:1.36
jobs:
  sleeper:
    steps: ["echo sleeping; sleep 300"]
  keeper:
    cleanup: never_remove
    steps: ["echo kept > kept.txt"]
`

const projects: Array<{dir: string; cleanup: () => void}> = []
/** Project folders of the tests (a pipeline in a subfolder is a project of its own), for the cleanup after each. */
const projectDirs: string[] = []
afterEach(() => {
  for (const dir of projectDirs.splice(0)) removeProjectResources(dir)
  for (const p of projects.splice(0)) {
    for (const run of runDirs(p.dir)) removeRunContainers(basename(run))
    p.cleanup()
  }
})

function newProject(files: Record<string, string>): string {
  const p = makeProject(files)
  projects.push(p)
  projectDirs.push(p.dir)
  return p.dir
}

/**
 * Runs a job that sleeps and SIGKILLs orca under it once its step runs: the job's container is left
 * behind, a leak (one killed before its step started would end by itself with orca's attach). Returns its run id.
 */
async function leak(dir: string, extraArgs: string[] = []): Promise<string> {
  const killed = await startLiveRun(dir, ['run', 'sleeper', '--output', 'plain', ...extraArgs])
  // The step's own line in its log (not its header, which comes before the step runs).
  const logs = ['', 'ci'].map((sub) => join(dir, sub, '.orca/runs', killed.runId, 'logs/sleeper.log'))
  const running = (): boolean => logs.some((log) => existsSync(log) && /^sleeping$/m.test(readFileSync(log, 'utf8')))
  for (let i = 0; i < 300 && !running(); i++) await new Promise((resolve) => setTimeout(resolve, 100))
  killed.child.kill('SIGKILL')
  expect((await killed.done).signal).toBe('SIGKILL')
  expect(containers(`orca.run=${killed.runId}`)).toHaveLength(1)
  return killed.runId
}

const volumes = (projectDir: string): string[] =>
  execFileSync('docker', ['volume', 'ls', '-q', '--filter', `label=orca.project-dir=${realpathSync(projectDir)}`], {encoding: 'utf8'})
    .split('\n')
    .filter(Boolean)

const images = (runId: string): string[] =>
  execFileSync('docker', ['images', '-q', '--filter', `label=orca.run=${runId}`], {encoding: 'utf8'}).split('\n').filter(Boolean)

describe('orca clean (real engine)', () => {
  it('removes the container a SIGKILLed run leaked, never a live run’s or a kept one, and --kept removes the kept', async () => {
    const dir = newProject({'jobs.yml': PIPELINE})

    const kept = await orca(['run', 'keeper', '--output', 'plain'], {cwd: dir})
    expect(kept.code).toBe(0)
    const keptRun = basename(runDirs(dir).at(-1)!)
    expect(containers(`orca.run=${keptRun}`)).toHaveLength(1)

    const killed = {runId: await leak(dir)}

    // Recorded as abandoned on the next look.
    const runs = await orca(['runs'], {cwd: dir})
    expect(runs.stdout).toMatch(new RegExp(`${killed.runId}\\s+abandoned`))
    expect(readJson<{status: string}>(`${dir}/.orca/runs/${killed.runId}/run.json`).status).toBe('abandoned')

    const live = await startLiveRun(dir, ['run', 'sleeper', '--output', 'plain'])
    try {
      const dry = await orca(['clean', '--leaks', '--dry-run'], {cwd: dir})
      expect(dry.code).toBe(0)
      expect(dry.stdout).toContain(`would remove container orca-${killed.runId}-sleeper`)
      expect(containers(`orca.run=${killed.runId}`)).toHaveLength(1)

      const cleaned = await orca(['clean', '--leaks'], {cwd: dir})
      expect(cleaned.stderr).not.toContain('    at ')
      expect(cleaned.code).toBe(0)
      expect(cleaned.stdout).toContain(`removed container orca-${killed.runId}-sleeper`)
      expect(containers(`orca.run=${killed.runId}`)).toHaveLength(0)
      expect(containers(`orca.run=${live.runId}`)).toHaveLength(1)
      expect(containers(`orca.run=${keptRun}`)).toHaveLength(1)
    } finally {
      live.child.kill('SIGTERM')
      expect((await live.done).code).toBe(130)
    }

    expect(images(keptRun).length).toBeGreaterThan(0)
    const keptClean = await orca(['clean', '--kept'], {cwd: dir})
    expect(keptClean.code).toBe(0)
    expect(keptClean.stdout).toContain(`removed container orca-${keptRun}-keeper`)
    expect(containers(`orca.run=${keptRun}`)).toHaveLength(0)
    expect(images(keptRun)).toHaveLength(0)
  })

  it("acts on this project's leaks only; --all-projects widens it to every project's on the engine", async () => {
    const one = newProject({'jobs.yml': PIPELINE})
    const two = newProject({'jobs.yml': PIPELINE})
    const leakOfOne = await leak(one)
    const leakOfTwo = await leak(two)

    const cleaned = await orca(['clean', '--leaks'], {cwd: one})
    expect(cleaned.code).toBe(0)
    expect(cleaned.stdout).toContain(`removed container orca-${leakOfOne}-sleeper`)
    expect(cleaned.stdout).not.toContain(leakOfTwo)
    expect(containers(`orca.run=${leakOfOne}`)).toHaveLength(0)
    expect(containers(`orca.run=${leakOfTwo}`)).toHaveLength(1)

    // The engine is shared with other people's projects: --all-projects is only looked at here (--dry-run).
    const wide = await orca(['clean', '--leaks', '--all-projects', '--dry-run'], {cwd: one})
    expect(wide.code).toBe(0)
    expect(wide.stdout).toContain(`would remove container orca-${leakOfTwo}-sleeper (run ${leakOfTwo}, job sleeper; project ${realpathSync(two)})`)
    expect(containers(`orca.run=${leakOfTwo}`)).toHaveLength(1)

    const theirs = await orca(['clean'], {cwd: two})
    expect(theirs.code).toBe(0)
    expect(theirs.stdout).toContain(`removed container orca-${leakOfTwo}-sleeper`)
    expect(containers(`orca.run=${leakOfTwo}`)).toHaveLength(0)
  })

  it('takes the project from -f, or finds it from a subfolder as orca run does', async () => {
    const dir = newProject({'ci/jobs.yml': PIPELINE, 'ci/deeper/notes.txt': 'a subfolder\n'})
    projectDirs.push(join(dir, 'ci'))
    const first = await leak(dir, ['-f', 'ci/jobs.yml'])
    // The folder above holds no jobs.yml: it is another project, and the leak is not its own.
    const here = await orca(['clean', '--leaks'], {cwd: dir})
    expect(here.stdout).not.toContain(first)
    expect(containers(`orca.run=${first}`)).toHaveLength(1)
    const named = await orca(['clean', '--leaks', '-f', 'ci/jobs.yml'], {cwd: dir})
    expect(named.code).toBe(0)
    expect(named.stdout).toContain(`removed container orca-${first}-sleeper`)
    expect(containers(`orca.run=${first}`)).toHaveLength(0)

    const second = await leak(join(dir, 'ci'))
    const found = await orca(['clean', '--leaks'], {cwd: join(dir, 'ci/deeper')})
    expect(found.code).toBe(0)
    expect(found.stdout).toContain(`removed container orca-${second}-sleeper`)
    expect(containers(`orca.run=${second}`)).toHaveLength(0)
  })

  it("removes this project's named volumes only, and refuses --all-projects without a Docker task", async () => {
    const withVolume = `version: 1
image: busybox:1.36
jobs:
  fill:
    cache: false
    volumes: {deps: /deps}
    steps: ["echo filled > /deps/marker"]
`
    const one = newProject({'jobs.yml': withVolume})
    const two = newProject({'jobs.yml': withVolume})
    for (const dir of [one, two]) expect((await orca(['run', '--output', 'plain'], {cwd: dir})).code).toBe(0)
    expect(volumes(one)).toHaveLength(1)
    expect(volumes(two)).toHaveLength(1)
    expect(volumes(one)).not.toEqual(volumes(two))

    const [mine] = volumes(one)
    const [theirs] = volumes(two)
    const cleaned = await orca(['clean', '--volumes'], {cwd: one})
    expect(cleaned.code).toBe(0)
    expect(cleaned.stdout).toContain(`removed volume ${mine} (volumes: deps)`)
    expect(cleaned.stdout).not.toContain(theirs)
    expect(volumes(one)).toEqual([])
    expect(volumes(two)).toEqual([theirs])

    const refused = await orca(['clean', '--runs', '--all-projects'], {cwd: one})
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('--all-projects applies to --leaks, --kept and --volumes')
  })

  it('removes finished runs older than a duration and never a live one; rejects a bad duration', async () => {
    const p = makeProject({'jobs.yml': PIPELINE.replace('sleep 300', 'true')})
    projects.push(p)
    expect((await orca(['run', 'sleeper', '--output', 'plain'], {cwd: p.dir})).code).toBe(0)
    const [run] = runDirs(p.dir)

    const young = await orca(['clean', '--runs', '--older-than', '1h'], {cwd: p.dir})
    expect(young.code).toBe(0)
    expect(runDirs(p.dir)).toEqual([run])

    const all = await orca(['clean', '--runs'], {cwd: p.dir})
    expect(all.stdout).toContain(`removed run ${basename(run!)}`)
    expect(runDirs(p.dir)).toEqual([])

    const bad = await orca(['clean', '--runs', '--older-than', 'ages'], {cwd: p.dir})
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--older-than expects a duration')
  })
})
