import {basename} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {makeProject, orca, removeRunContainers, runDirs} from './cli.js'

const projects: Array<{dir: string; cleanup: () => void}> = []
afterEach(() => {
  for (const p of projects.splice(0)) {
    for (const run of runDirs(p.dir)) removeRunContainers(basename(run))
    p.cleanup()
  }
})

describe('orca show and orca runs (real engine)', () => {
  it('lists runs newest first and shows one by id, prefix or latest, with jobs, artifacts and a timeline', async () => {
    const p = makeProject({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  make:
    steps: ["mkdir -p out && echo data > out/a.txt"]
    artifacts: ["out/**"]
  broken:
    steps: [{name: explode, run: "exit 3"}]
`,
    })
    projects.push(p)
    expect((await orca(['run', 'make', '--output', 'plain'], {cwd: p.dir})).code).toBe(0)
    expect((await orca(['run', 'broken', '--output', 'plain'], {cwd: p.dir})).code).toBe(1)
    const [first, second] = runDirs(p.dir).map((d) => basename(d))

    const runs = await orca(['runs'], {cwd: p.dir})
    expect(runs.code).toBe(0)
    const lines = runs.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^RUN\s+STATUS\s+TARGETS\s+STARTED\s+DURATION\s+OK\s+FAILED\s+CACHED$/)
    expect(lines[1]).toMatch(new RegExp(`^${second}\\s+failed\\s+broken\\s.*\\s0\\s+1\\s+0$`))
    expect(lines[2]).toMatch(new RegExp(`^${first}\\s+succeeded\\s+make\\s.*\\s1\\s+0\\s+0$`))

    const failedOnly = JSON.parse((await orca(['runs', '--status', 'failed', '--json'], {cwd: p.dir})).stdout) as Array<{id: string}>
    expect(failedOnly.map((r) => r.id)).toEqual([second])
    const limited = JSON.parse((await orca(['runs', '--limit', '1', '--json'], {cwd: p.dir})).stdout) as Array<{id: string}>
    expect(limited.map((r) => r.id)).toEqual([second])

    const latest = await orca(['show', 'latest'], {cwd: p.dir})
    expect(latest.code).toBe(0)
    expect(latest.stdout).toContain(`run       ${second}`)
    expect(latest.stdout).toMatch(/broken\s+failed/)
    expect(latest.stdout).toContain('step "explode" failed (exit 3)')
    expect(latest.stdout).toMatch(/broken\s+│\s*█+\s*│/)

    const byPrefix = await orca(['show', first!.slice(0, first!.length - 2)], {cwd: p.dir})
    expect(byPrefix.stdout).toContain(`run       ${first}`)
    // Each job's artifacts: the summary and its manifest, then its files.
    expect(byPrefix.stdout).toMatch(/artifacts\n {2}make {2}1 file, 5 B {2}artifacts\/make\.json\n {4}out\/a\.txt\s+5 B\s+sha256:[0-9a-f]{12}\n/)

    const json = JSON.parse((await orca(['show', first!, '--json'], {cwd: p.dir})).stdout) as {id: string; jobs: Record<string, {status: string}>}
    expect(json.id).toBe(first)
    expect(json.jobs.make?.status).toBe('succeeded')

    const unknown = await orca(['show', 'nope'], {cwd: p.dir})
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('no run matches "nope"')
    expect(unknown.stderr).not.toContain('    at ')
    const ambiguous = await orca(['show', '2'], {cwd: p.dir})
    expect(ambiguous.code).toBe(2)
    expect(ambiguous.stderr).toContain('matches more than one run')
  })

  it('says so when there are no runs', async () => {
    const p = makeProject({'jobs.yml': 'version: 1\njobs:\n  a:\n    image: busybox:1.36\n    steps: ["true"]\n'})
    projects.push(p)
    expect((await orca(['runs'], {cwd: p.dir})).stdout).toBe('no runs recorded\n')
    const show = await orca(['show', 'latest'], {cwd: p.dir})
    expect(show.code).toBe(2)
    expect(show.stderr).toContain('no runs recorded')
  })
})
