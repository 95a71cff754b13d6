import {afterAll, describe, expect, it} from 'vitest'

import {orca} from '../e2e/cli.js'
import {docker, expectCleanAfterKill, labelledContainers, Projects, removeContainers, seededRandom, settledContainers, suiteSeed} from './support.js'
import {tally} from './tally.js'

const ITERATIONS = Number(process.env.ORCA_FAULTS_SERVICE_ITERATIONS ?? 12)
/** From before the run is recorded, through the services starting and being waited for, to after the jobs end. */
const MAX_KILL_DELAY_MS = 4_000

// Two jobs with services: one waits about a second for its service's port (killed while it starts),
// the other's services are ready at once and its steps run a while (killed while they run).
const PIPELINE = `version: 1
image: busybox:1.36
jobs:
  api:
    services:
      web:
        image: busybox:1.36
        command: [sh, -c, "sleep 1; mkdir -p /www; echo ok > /www/index.html; exec httpd -f -p 8080 -h /www"]
        ready: {tcp: 8080, interval: 100ms}
    steps: ["wget -qO- http://web:8080/", "sleep 0.5"]
  worker:
    services:
      queue: {image: "busybox:1.36", command: [sh, -c, "exec sleep 600"]}
      cache: {image: "busybox:1.36", command: [sh, -c, "exec sleep 600"], aliases: [redis]}
    steps: ["nslookup redis >/dev/null", "sleep 1"]
`

const projects = new Projects()
const killedPids: number[] = []

/** Networks orca labelled with an owner process. */
function networksOf(pid: number): string[] {
  return docker(['network', 'ls', '-q', '--filter', 'label=orca.managed=true', '--filter', `label=orca.pid=${pid}`]).split('\n').filter(Boolean)
}

afterAll(() => {
  for (const pid of killedPids) {
    removeContainers(labelledContainers([`orca.pid=${pid}`]))
    for (const network of networksOf(pid)) docker(['network', 'rm', network])
  }
  projects.removeAll()
})

describe('orca killed with SIGKILL while services start or run', () => {
  it(`leaves no service container or network after clean --leaks, over ${ITERATIONS} iterations`, {timeout: 300_000}, async () => {
    const seed = suiteSeed()
    const random = seededRandom(seed)
    console.log(`sigkill-services: seed ${seed} (ORCA_FAULTS_SEED=${seed} replays it), ${ITERATIONS} iterations`)
    const dir = projects.create({'jobs.yml': PIPELINE})
    let killedWithServices = 0

    for (let i = 0; i < ITERATIONS; i++) {
      const delay = Math.floor(random() * MAX_KILL_DELAY_MS)
      let pid = 0
      const result = await orca(['run', '--output', 'json', '--no-cache'], {
        cwd: dir,
        onSpawn: (child) => {
          pid = child.pid!
          killedPids.push(pid)
          setTimeout(() => child.kill('SIGKILL'), delay)
        },
      })
      const left = labelledContainers([`orca.pid=${pid}`]).length + networksOf(pid).length
      if (result.signal === 'SIGKILL' && left > 0) killedWithServices++
      tally('kills while services start or run', result.signal === 'SIGKILL' ? 1 : 0)
      tally('service containers and networks left by a kill', left)

      // A create request the killed process sent goes on in the engine after the client is gone: clean
      // once the engine has finished what it was asked, as a user's later clean (as the other sigkill files do).
      await settledContainers(`orca.pid=${pid}`)
      await expectCleanAfterKill(dir, pid, `iteration ${i} (kill after ${delay} ms)`)
      expect(networksOf(pid), `iteration ${i} (kill after ${delay} ms): networks left after clean --leaks`).toEqual([])
    }
    console.log(`sigkill-services: ${killedWithServices} kills left services or networks behind, all removed by clean --leaks`)
    // The delays reach past the services' start: some kills must have left something to clean.
    expect(killedWithServices).toBeGreaterThan(0)
  })
})
