import {execFileSync} from 'node:child_process'
import {basename} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {makeProject, orca, removeRunContainers, runDirs} from './cli.js'
import {startLiveRun} from './history-helpers.js'

const projects: Array<{dir: string; cleanup: () => void}> = []
afterEach(() => {
  for (const p of projects.splice(0)) {
    for (const run of runDirs(p.dir)) removeRunContainers(basename(run))
    p.cleanup()
  }
})

describe('orca logs (real engine)', () => {
  it('prints a finished run by prefix, one job as is, and events as NDJSON', async () => {
    const p = makeProject({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  hello:
    steps: [{name: greet, run: "echo hello; echo world"}]
  bye:
    steps: ["echo bye"]
`,
    })
    projects.push(p)
    // One job at a time, so their lines do not interleave.
    expect((await orca(['run', '-j', '1', '--output', 'plain'], {cwd: p.dir})).code).toBe(0)
    const id = basename(runDirs(p.dir).at(-1)!)

    const all = await orca(['logs', id.slice(0, 19)], {cwd: p.dir})
    expect(all.code).toBe(0)
    expect(all.stdout).toContain('[hello] ==> greet\n[hello] hello\n[hello] world\n')
    expect(all.stdout).toContain('[bye] bye\n')

    const one = await orca(['logs', 'latest', '--job', 'hello'], {cwd: p.dir})
    expect(one.stdout).toBe('==> greet\nhello\nworld\n')

    const json = await orca(['logs', 'latest', '--job', 'bye', '--json'], {cwd: p.dir})
    const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as {job: string; type: string})
    expect(events.every((e) => e.job === 'bye')).toBe(true)
    expect(events.map((e) => e.type)).toContain('step.output')

    const unknownJob = await orca(['logs', 'latest', '--job', 'nope'], {cwd: p.dir})
    expect(unknownJob.code).toBe(2)
    expect(unknownJob.stderr).toContain('has no job "nope"')
    const unknownRun = await orca(['logs', 'zzz'], {cwd: p.dir})
    expect(unknownRun.code).toBe(2)
    expect(unknownRun.stderr).toContain('no run matches "zzz"')
  })

  it('--follow streams a run another orca process is writing and ends when it finishes', async () => {
    const p = makeProject({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  slow:
    steps: ["echo first; while [ ! -e /workspace/go ]; do sleep 0.2; done; echo second"]
`,
    })
    projects.push(p)
    const run = await startLiveRun(p.dir, ['run', '--output', 'plain'])
    let out = ''
    const follow = orca(['logs', run.runId, '--follow'], {cwd: p.dir, onSpawn: (c) => c.stdout?.on('data', (d: Buffer) => (out += d.toString()))})
    // Wait until the follower printed the live part, then let the job finish.
    for (let i = 0; i < 200 && !out.includes('[slow] first'); i++) await new Promise((r) => setTimeout(r, 100))
    expect(out).toContain('[slow] first')
    expect(out).not.toContain('second')
    execFileSync('docker', ['exec', `orca-${run.runId}-slow`, 'touch', '/workspace/go'])
    const followed = await follow
    expect(followed.code).toBe(0)
    expect(followed.stdout).toContain('[slow] first\n[slow] second\n')
    expect((await run.done).code).toBe(0)
  })

  it('--follow ends when the orca process writing the run is killed', async () => {
    const p = makeProject({'jobs.yml': 'version: 1\nimage: busybox:1.36\njobs:\n  slow:\n    steps: ["echo up; sleep 300"]\n'})
    projects.push(p)
    const run = await startLiveRun(p.dir, ['run', '--output', 'plain'])
    const follow = orca(['logs', 'latest', '--follow', '--json'], {cwd: p.dir})
    run.child.kill('SIGKILL')
    await run.done
    const followed = await follow
    expect(followed.code).toBe(0)
    const last = JSON.parse(followed.stdout.trim().split('\n').at(-1)!) as {type: string; status: string}
    expect(last).toMatchObject({type: 'run.finished', status: 'abandoned'})
  })
})
