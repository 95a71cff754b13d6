import {afterAll, describe, expect, it} from 'vitest'

import {orca, runDirs} from '../e2e/cli.js'
import {checkRunDirs, docker, labelledContainers, Projects, removeContainers, seededRandom, settledContainers, suiteSeed} from './support.js'
import {tally} from './tally.js'

const ITERATIONS = Number(process.env.ORCA_FAULTS_ITERATIONS ?? 30)
/** Kills land anywhere from before the run is recorded to after its last container is removed. */
const MAX_KILL_DELAY_MS = 3_000

const PIPELINE = `version: 1
image: busybox:1.36
jobs:
  prepare:
    network: none
    steps:
      - mkdir -p out && seq 1 5000 > out/numbers.txt
      - sleep 0.3
    artifacts: ["out/**"]
  count:
    needs: [prepare]
    network: none
    steps: ["wc -l < out/numbers.txt > total.txt", "sleep 0.2"]
    artifacts: ["total.txt"]
  lint:
    network: none
    steps: ["echo lint; sleep 0.4"]
  all:
    needs: [count, lint]
`

const projects = new Projects()
const killedPids: number[] = []

afterAll(() => {
  // Whatever an assertion left behind: every container of every killed orca process.
  for (const pid of killedPids) removeContainers(labelledContainers([`orca.pid=${pid}`]))
  projects.removeAll()
})

describe('orca killed with SIGKILL at random points', () => {
  it(`leaves valid records and no leak after clean --leaks, over ${ITERATIONS} iterations`, {timeout: 360_000}, async () => {
    const seed = suiteSeed()
    const random = seededRandom(seed)
    console.log(`sigkill: seed ${seed} (ORCA_FAULTS_SEED=${seed} replays it), ${ITERATIONS} iterations`)
    const dir = projects.create({'jobs.yml': PIPELINE, 'README.md': 'a project\n'})
    const outcomes = {killed: 0, finished: 0}

    for (let i = 0; i < ITERATIONS; i++) {
      const delay = Math.floor(random() * MAX_KILL_DELAY_MS)
      const args = ['run', '--output', 'json', ...(random() < 0.5 ? ['--no-cache'] : [])]
      let pid = 0
      const result = await orca(args, {
        cwd: dir,
        onSpawn: (child) => {
          pid = child.pid!
          killedPids.push(pid)
          setTimeout(() => child.kill('SIGKILL'), delay)
        },
      })
      if (result.signal === 'SIGKILL') outcomes.killed++
      else outcomes.finished++
      tally('sigkill iterations')

      const check = await checkRunDirs(dir)
      expect(check.problems, `iteration ${i} (kill after ${delay} ms)`).toEqual([])

      // A create request the killed process sent goes on in the engine after the client is gone, and
      // its container can appear after a clean had listed what there was: clean runs once the engine
      // has finished what it was asked (the set stays the same for a second), as a user's later clean.
      tally('containers left by a kill', (await settledContainers(`orca.pid=${pid}`)).length)
      const clean = await orca(['clean', '--leaks'], {cwd: dir})
      expect(clean.code, clean.stderr).toBe(0)
      const left = labelledContainers([`orca.pid=${pid}`])
      tally('leaks found after clean --leaks', left.length)
      expect(left, `iteration ${i}: containers of the killed process left after clean --leaks`).toEqual([])
    }

    const final = await checkRunDirs(dir)
    expect(final.problems).toEqual([])
    tally('run records validated', final.records)
    tally('event logs read', final.eventLogs)
    const runIds = runDirs(dir).map((d) => d.split('/').at(-1)!)
    const networks = docker(['network', 'ls', '-q', '--filter', 'label=orca.managed=true']).split('\n').filter(Boolean)
    const ours = networks.filter((id) => runIds.some((run) => docker(['network', 'inspect', '-f', '{{index .Labels "orca.run"}}', id]).trim() === run))
    expect(ours).toEqual([])

    // The history still reads: every run is listed, killed ones as abandoned.
    const runs = await orca(['runs'], {cwd: dir})
    expect(runs.code, runs.stderr).toBe(0)
    // A kill before the run directory exists leaves none; one in the instant between creating it and
    // recording the first event leaves an empty one, which every command skips.
    const dirs = runDirs(dir).length
    console.log(`sigkill: ${outcomes.killed} runs killed, ${outcomes.finished} finished before the kill, ${dirs} run directories, ${final.records} records valid`)
    expect(outcomes.killed).toBeGreaterThan(0)
  })
})
