import {existsSync, readFileSync, statSync} from 'node:fs'
import {basename, join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {containersLeft, orca, readJson, readLines, removeRunContainers, runDirs} from '../e2e/cli.js'
import {checkRunDirs, Projects} from './support.js'
import {tally} from './tally.js'

const projects = new Projects()
const dirs: string[] = []
function project(files: Record<string, string>): string {
  const dir = projects.create(files)
  dirs.push(dir)
  return dir
}

afterEach(() => {
  for (const dir of dirs.splice(0)) for (const run of runDirs(dir)) removeRunContainers(basename(run))
  projects.removeAll()
})

type JobRecord = {status: string; logTruncated: boolean; error: {kind: string} | null; steps: Array<{status: string}>; artifacts: {count: number; manifest: string} | null}
const lastRecord = (dir: string): {run: string; jobs: Record<string, JobRecord>} => {
  const run = runDirs(dir).at(-1)!
  return {run, jobs: readJson<{jobs: Record<string, JobRecord>}>(join(run, 'run.json')).jobs}
}

describe('runaway jobs', () => {
  it('a step that ignores SIGTERM is killed after the grace period and its container removed', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  stubborn:
    network: none
    cache: false
    steps:
      - name: ignore TERM
        run: trap '' TERM; echo ready; while :; do sleep 1; done
        timeout: 2s
      - echo never
`,
    })
    const result = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(result.code, result.stderr).toBe(1)
    const {run, jobs} = lastRecord(dir)
    expect(jobs.stubborn).toMatchObject({status: 'timed_out', error: {kind: 'timeout'}})
    expect(jobs.stubborn!.steps.map((s) => s.status)).toEqual(['timed_out', 'skipped'])
    expect(await containersLeft(`orca.run=${basename(run)}`)).toEqual([])
    tally('runaway jobs contained')
  })

  it('a fork bomb stops at the pids limit inside its container; the host and orca carry on', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  bomb:
    network: none
    cache: false
    resources: {pids: 64}
    steps:
      - name: fork bomb
        # The step's own shell only spins on a builtin after starting the bomb: a fork it could not make
        # would end the step early as "failed" and hide whether the timeout ended it.
        run: "bomb() { bomb & bomb & sleep 30; }; bomb & while :; do :; done"
        timeout: 5s
`,
    })
    let peak = 0
    let watching = true
    const watch = (async () => {
      // The container's pids cgroup, read from the host while the bomb runs (cgroup v1 layout of this engine).
      while (watching) {
        const run = runDirs(dir).at(-1)
        const container = run && existsSync(join(run, 'events.jsonl'))
          ? readLines<{type: string; containerId?: string}>(join(run, 'events.jsonl')).find((e) => e.type === 'job.container')?.containerId
          : undefined
        const file = container ? `/sys/fs/cgroup/pids/docker/${container}/pids.current` : undefined
        if (file && existsSync(file)) {
          try {
            peak = Math.max(peak, Number(readFileSync(file, 'utf8')))
          } catch {
            // removed between the check and the read
          }
        }
        await new Promise((r) => setTimeout(r, 100))
      }
    })()
    const result = await orca(['run', '--output', 'plain'], {cwd: dir})
    watching = false
    await watch
    expect(result.code, result.stderr).toBe(1)
    const {run, jobs} = lastRecord(dir)
    expect(jobs.bomb!.status).toBe('timed_out')
    expect(peak).toBeGreaterThan(8)
    expect(peak).toBeLessThanOrEqual(64)
    // The limit is what stopped it: forks failed inside the container.
    expect(readFileSync(join(run, 'logs/bomb.log'), 'utf8')).toContain("can't fork")
    expect(await containersLeft(`orca.run=${basename(run)}`)).toEqual([])
    // orca itself is fine: the next run on this engine succeeds.
    const after = await orca(['run', '--output', 'plain'], {
      cwd: project({'jobs.yml': 'version: 1\nimage: busybox:1.36\njobs:\n  ok: {network: none, steps: ["echo fine"]}\n'}),
    })
    expect(after.code, after.stderr).toBe(0)
    console.log(`fork bomb: peak of ${peak} processes in a container limited to 64`)
    tally('runaway jobs contained')
  })

  it('an output flood is capped at 16 MiB with one marker and logTruncated; the job runs on and succeeds', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  flood:
    network: none
    cache: false
    steps:
      - name: flood
        run: head -c 24000000 /dev/zero | tr '\\\\0' x | fold -w 99
      - mkdir -p out && echo finished > out/done.txt
    artifacts: ["out/**"]
  long-line:
    network: none
    cache: false
    steps: ["head -c 1000000 /dev/zero | tr '\\\\0' y; echo; echo after the long line"]
`,
    })
    const result = await orca(['run', '--output', 'json'], {cwd: dir})
    expect(result.code, result.stderr).toBe(0)
    const {run, jobs} = lastRecord(dir)
    expect(jobs.flood).toMatchObject({status: 'succeeded', logTruncated: true})
    expect(jobs.flood!.artifacts).toMatchObject({count: 1})
    expect(readJson<{files: Array<{path: string}>}>(join(run, jobs.flood!.artifacts!.manifest)).files.map((a) => a.path)).toEqual(['out/done.txt'])
    expect(jobs['long-line']).toMatchObject({status: 'succeeded', logTruncated: false})

    const log = join(run, 'logs/flood.log')
    expect(statSync(log).size).toBeLessThanOrEqual(16 * 1024 * 1024 + 4096)
    const text = readFileSync(log, 'utf8')
    const marker = '[orca] output truncated: this job printed more than 16 MiB; the rest is not recorded'
    expect(text.split(marker)).toHaveLength(2)
    // After the marker, no more output: only the header of the step that came next.
    expect(text.split(marker)[1]!.includes('xxxxxxxxxx')).toBe(false)

    const longLog = readFileSync(join(run, 'logs/long-line.log'), 'utf8')
    expect(longLog).toContain(`${'y'.repeat(65536)} [orca] line cut: longer than 64 KiB\n`)
    expect(longLog).not.toContain('y'.repeat(65537))
    expect(longLog).toContain('after the long line')
    expect((await checkRunDirs(dir)).problems).toEqual([])
    tally('runaway jobs contained', 2)
  })
})
