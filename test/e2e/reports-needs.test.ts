import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {NEUTRAL_ENV, orca, projectsPerTest, readJson, runDirs} from './cli.js'

type JobRecord = {status: string; warnings: Array<{kind: string; path: string | null; message: string}>}

const project = projectsPerTest()

describe('artifacts of several needs (real engine)', () => {
  it('two needs delivering different files at one path are reported with both jobs; needs: [{job, artifacts}] chooses what is taken', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  web:
    inputs: []
    steps: ["mkdir -p dist && echo web > dist/app.txt && echo shared > dist/license.txt"]
    artifacts: [dist/**]
  api:
    inputs: []
    steps: ["mkdir -p dist && echo api > dist/app.txt && echo shared > dist/license.txt"]
    artifacts: [dist/**]
  bundle:
    needs: [web, api]
    inputs: []
    steps: ["cat dist/app.txt"]
  chosen:
    needs: [{job: web, artifacts: false}, api]
    inputs: []
    steps: ["cat dist/app.txt"]
  licences:
    needs: [{job: web, artifacts: [dist/license.txt]}, api]
    inputs: []
    steps: ["cat dist/license.txt dist/app.txt"]
`,
    })
    const result = await orca(['run', '--output', 'plain'], {cwd: dir, env: NEUTRAL_ENV})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const run = runDirs(dir).at(-1)!
    const jobs = readJson<{jobs: Record<string, JobRecord>}>(join(run, 'run.json')).jobs
    // Identical files (the licence) are no clash; the differing one names both jobs and the path.
    expect(jobs.bundle!.warnings).toEqual([
      {
        kind: 'artifact-clash',
        path: 'dist/app.txt',
        target: null,
        message: "web and api both deliver dist/app.txt with different content: api's is placed (the later need); choose with needs: [{job: web, artifacts: [globs]}]",
      },
    ])
    expect(result.stdout).toContain('[bundle]   ! web and api both deliver dist/app.txt with different content')
    expect(result.stdout).toContain('[bundle]   api')
    expect(jobs.chosen!.warnings).toEqual([])
    expect(result.stdout).toContain('[chosen]   api')
    expect(jobs.licences!.warnings).toEqual([])
    expect(result.stdout).toContain('[licences] shared')
  })
})
