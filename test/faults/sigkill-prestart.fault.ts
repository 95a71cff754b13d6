import {afterAll, describe, expect, it} from 'vitest'

import {orca} from '../e2e/cli.js'
import {docker, expectCleanAfterKill, labelledContainers, Projects, removeContainers, seededRandom, settledContainers, suiteSeed} from './support.js'
import {tally} from './tally.js'

const ITERATIONS = Number(process.env.ORCA_FAULTS_PRESTART_ITERATIONS ?? 10)
/** Kills land from the first job's start, while its dependents' containers are created, started and filled, to after. */
const MAX_KILL_DELAY_MS = 2_500

// While `first` runs, the next jobs of the chain and the side job get their containers ahead of need.
const PIPELINE = `version: 1
image: busybox:1.36
jobs:
  first:
    network: none
    steps: ["echo go > go.txt", "sleep 2"]
    artifacts: ["go.txt"]
  second:
    needs: [first]
    network: none
    steps: ["cat go.txt"]
  third:
    needs: [second]
    network: none
    steps: ["true"]
  side:
    needs: [first]
    network: none
    steps: ["true"]
`

const DEPENDENTS = new Set(['second', 'third', 'side'])
const projects = new Projects()
const killedPids: number[] = []

afterAll(() => {
  for (const pid of killedPids) removeContainers(labelledContainers([`orca.pid=${pid}`]))
  projects.removeAll()
})

/** The jobs of the containers an orca process left. */
function jobsOf(pid: number): string[] {
  return docker(['ps', '-a', '--filter', 'label=orca.managed=true', '--filter', `label=orca.pid=${pid}`, '--format', '{{.Label "orca.job"}}']).split('\n').filter(Boolean)
}

/** The jobs of the containers of an orca process still running once `ms` passed (or none runs). */
async function runningAfter(pid: number, ms: number): Promise<string[]> {
  const running = (): string[] => docker(['ps', '--filter', 'label=orca.managed=true', '--filter', `label=orca.pid=${pid}`, '--format', '{{.Label "orca.job"}}']).split('\n').filter(Boolean)
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 250))) {
    if (running().length === 0) return []
  }
  return running()
}

describe('orca killed with SIGKILL while containers start ahead of need', () => {
  it(`leaves valid records and no container after clean --leaks, over ${ITERATIONS} iterations`, {timeout: 360_000}, async () => {
    const seed = suiteSeed()
    const random = seededRandom(seed)
    console.log(`sigkill-prestart: seed ${seed} (ORCA_FAULTS_SEED=${seed} replays it), ${ITERATIONS} iterations`)
    const dir = projects.create({'jobs.yml': PIPELINE})
    let killsWithEarlyContainers = 0

    for (let i = 0; i < ITERATIONS; i++) {
      const delay = Math.floor(random() * MAX_KILL_DELAY_MS)
      let pid = 0
      let early: string[] = []
      const result = await orca(['run', '--output', 'json', '--no-cache'], {
        cwd: dir,
        onSpawn: (child) => {
          pid = child.pid!
          killedPids.push(pid)
          let armed = false
          // The clock starts when the first job starts: its dependents' containers start ahead from then on.
          child.stdout!.on('data', (d: Buffer) => {
            if (armed || !d.toString().includes('"type":"job.started","job":"first"')) return
            armed = true
            setTimeout(() => {
              // Counted before the kill: a container whose orca is gone ends with its attach, and the engine removes it.
              early = jobsOf(pid).filter((job) => DEPENDENTS.has(job))
              child.kill('SIGKILL')
            }, delay)
          })
        },
      })
      expect(result.signal, `iteration ${i}: orca ended before the kill (${result.code}): ${result.stderr}`).toBe('SIGKILL')
      tally('kills while containers start ahead of need')
      // A create request the killed process sent goes on in the engine: count once the set stays the same.
      await settledContainers(`orca.pid=${pid}`)
      if (early.length > 0) killsWithEarlyContainers++
      tally('early containers seen at a kill', early.length)
      // Their main process reads its stdin, which the killed orca's attach held: it ends with that attach, none runs on.
      expect(await runningAfter(pid, 10_000), `iteration ${i}: containers still running 10 s after the kill`).toEqual([])

      await expectCleanAfterKill(dir, pid, `iteration ${i} (kill after ${delay} ms)`)
    }
    console.log(`sigkill-prestart: ${killsWithEarlyContainers} of ${ITERATIONS} kills left early containers behind, all removed by clean --leaks`)
    // The kills land while `first` runs: some must have caught dependents' containers started ahead.
    expect(killsWithEarlyContainers).toBeGreaterThan(0)
  })
})
