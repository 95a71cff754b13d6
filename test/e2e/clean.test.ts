import {execFileSync} from 'node:child_process'
import {basename} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {containers, makeProject, orca, readJson, removeRunContainers, runDirs} from './cli.js'
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
afterEach(() => {
  for (const p of projects.splice(0)) {
    for (const run of runDirs(p.dir)) removeRunContainers(basename(run))
    p.cleanup()
  }
})

const images = (runId: string): string[] =>
  execFileSync('docker', ['images', '-q', '--filter', `label=orca.run=${runId}`], {encoding: 'utf8'}).split('\n').filter(Boolean)

describe('orca clean (real engine)', () => {
  it('removes the container a SIGKILLed run leaked, never a live run’s or a kept one, and --kept removes the kept', async () => {
    const p = makeProject({'jobs.yml': PIPELINE})
    projects.push(p)
    const dir = p.dir

    const kept = await orca(['run', 'keeper', '--output', 'plain'], {cwd: dir})
    expect(kept.code).toBe(0)
    const keptRun = basename(runDirs(dir).at(-1)!)
    expect(containers(`orca.run=${keptRun}`)).toHaveLength(1)

    const killed = await startLiveRun(dir, ['run', 'sleeper', '--output', 'plain'])
    killed.child.kill('SIGKILL')
    expect((await killed.done).signal).toBe('SIGKILL')
    expect(containers(`orca.run=${killed.runId}`)).toHaveLength(1)

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
