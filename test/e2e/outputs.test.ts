import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {NEUTRAL_ENV, orca, projectsPerTest, readJson, readLines, runDirs} from './cli.js'

type JobRecord = {
  status: string
  cache: string | null
  skippedReason: string | null
  outputs: Record<string, string> | null
  warnings: Array<{kind: string; message: string}>
  reports: {junit: {tests: number; skipped: number; files: string[]}} | null
}
type RunRecord = {status: string; jobs: Record<string, JobRecord>}

const project = projectsPerTest()

function lastRun(dir: string): {dir: string; record: RunRecord; events: Array<Record<string, unknown>>} {
  const run = runDirs(dir).at(-1)!
  return {dir: run, record: readJson<RunRecord>(join(run, 'run.json')), events: readLines(join(run, 'events.jsonl'))}
}

const PIPELINE = `version: 1
image: busybox:1.36
jobs:
  build:
    inputs: []
    secrets: [TOKEN]
    outputs: [version, notes, token]
    steps:
      - echo "version=1.2" >> "$ORCA_OUTPUT"
      - |
        { echo 'notes<<END'; echo 'line one'; echo 'line two'; echo 'END'; } >> "$ORCA_OUTPUT"
        echo "token=$TOKEN" >> "$ORCA_OUTPUT"
      - echo '<testsuite name="build"><testcase name="compiles"/><testcase name="links"><skipped/></testcase></testsuite>' > junit.xml
    reports:
      junit: [junit.xml]
  release:
    needs: [build]
    if: needs.build.outputs.version == '1.2'
    cache: false
    inputs: []
    env:
      VERSION: "\${{ needs.build.outputs.version }}"
      NOTES: "\${{needs.build.outputs.notes}}"
    steps:
      - name: release
        env: {TOKEN_SEEN: "[\${{ needs.build.outputs.token }}]"}
        run: 'echo "releasing $VERSION"; echo "$NOTES"; echo "token $TOKEN_SEEN"'
  major:
    needs: [build]
    if: needs.build.outputs.version == '2.0'
    inputs: []
    steps: ["echo must not run"]
`

describe('job outputs (real engine)', () => {
  it("flow to a dependent's env and if:, are recorded masked, never carry a secret, and come back on a cache hit", async () => {
    const dir = project({'jobs.yml': PIPELINE})
    const env = {...NEUTRAL_ENV, TOKEN: 's3cr3t-value'}
    const first = await orca(['run', '--output', 'plain'], {cwd: dir, env})
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(first.stdout).toContain('[release] releasing 1.2')
    expect(first.stdout).toContain('[release] line one')
    expect(first.stdout).toContain('[release] line two')
    expect(first.stdout).toContain('[release] token []')
    expect(first.stdout).not.toContain('s3cr3t-value')
    let run = lastRun(dir)
    expect(run.record.jobs.build!.outputs).toEqual({version: '1.2', notes: 'line one\nline two'})
    expect(run.record.jobs.build!.warnings.map((w) => w.kind)).toEqual(['output-secret'])
    expect(run.record.jobs.major).toMatchObject({status: 'skipped', skippedReason: "if: needs.build.outputs.version == '2.0' is false"})
    expect(run.events).toContainEqual(expect.objectContaining({type: 'job.outputs', job: 'build', outputs: {version: '1.2', notes: 'line one\nline two'}}))

    // The build is a cache hit now: its outputs and its report come back with it, and the job that always runs reads them.
    const second = await orca(['run', '--output', 'plain'], {cwd: dir, env})
    expect(second.code).toBe(0)
    run = lastRun(dir)
    expect(run.record.jobs.build).toMatchObject({status: 'cached', outputs: {version: '1.2', notes: 'line one\nline two'}})
    expect(run.record.jobs.build!.reports).toEqual({junit: {tests: 2, failures: 0, errors: 0, skipped: 1, files: ['reports/build/junit.xml']}})
    expect(readFileSync(join(run.dir, 'reports/build/junit.xml'), 'utf8')).toContain('<testcase name="compiles"/>')
    expect(second.stdout).toContain('(tests: 2, 1 skipped)')
    expect(run.record.jobs.release!.status).toBe('succeeded')
    expect(second.stdout).toContain('[release] releasing 1.2')
    expect(run.record.jobs.major!.status).toBe('skipped')
  })

  it('validate points at a reference to an output the need does not declare, or one outside env', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  build:
    outputs: [version]
    steps: ["true"]
  release:
    needs: [build]
    env: {V: "\${{ needs.build.outputs.verison }}"}
    steps: ["echo \${{ needs.build.outputs.version }}"]
`,
    })
    const result = await orca(['validate'], {cwd: dir, env: NEUTRAL_ENV})
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('jobs.yml:9:15 jobs.release.env.V: "build" has no output "verison"; it declares "version"')
    expect(result.stderr).toContain('jobs.yml:10:19 jobs.release.steps[0]: ${{ needs.build.outputs.version }} can be used in env values only')
  })
})
