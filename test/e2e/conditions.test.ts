import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {parseXml} from '../views/run/xml.js'
import {NEUTRAL_ENV, orca, projectsPerTest, readJson, readLines, runDirs} from './cli.js'

type StepRecord = {name: string; status: string; exitCode: number | null}
type JobRecord = {status: string; skippedReason: string | null; steps: StepRecord[]}
type RunRecord = {status: string; jobs: Record<string, JobRecord>}

const project = projectsPerTest()

function lastRun(dir: string): {dir: string; record: RunRecord; events: Array<Record<string, unknown>>} {
  const run = runDirs(dir).at(-1)!
  return {dir: run, record: readJson<RunRecord>(join(run, 'run.json')), events: readLines(join(run, 'events.jsonl'))}
}

const steps = (job: JobRecord): Array<[string, string]> => job.steps.map((s) => [s.name, s.status])

describe('conditions (real engine)', () => {
  it('after a failing test: its on_failure and always steps run in its container, always and on_failure jobs run, the run stays failed', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  test:
    inputs: []
    steps:
      - name: prepare
        run: echo partial > result.txt
      - name: unit tests
        run: exit 3
      - name: never
        run: echo "must not run"
      - name: diagnose
        when: on_failure
        run: cat result.txt; echo "diagnosed"
      - name: only on success
        when: on_success
        run: echo "must not run either"
      - name: tidy
        when: always
        run: echo "tidied"
  report:
    needs: [test]
    when: always
    inputs: []
    steps: ["echo report ran"]
  notify:
    needs: [test]
    if: needs.test.result == 'failure'
    inputs: []
    steps: ["echo notified"]
  rollback:
    needs: [report]
    when: on_failure
    inputs: []
    steps: ["echo rolled back"]
  deploy:
    needs: [test]
    inputs: []
    steps: ["echo deployed"]
`,
    })
    const result = await orca(['run', '--output', 'plain'], {cwd: dir, env: NEUTRAL_ENV})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(1)
    const run = lastRun(dir)
    expect(run.record.status).toBe('failed')
    const test = run.record.jobs.test!
    expect(test.status).toBe('failed')
    expect(steps(test)).toEqual([
      ['prepare', 'succeeded'],
      ['unit tests', 'failed'],
      ['never', 'skipped'],
      ['diagnose', 'succeeded'],
      ['only on success', 'skipped'],
      ['tidy', 'succeeded'],
    ])
    const log = readFileSync(join(run.dir, 'logs/test.log'), 'utf8')
    // The on_failure step saw the failed step's files: it ran in the same container.
    expect(log).toContain('partial\ndiagnosed\n')
    expect(log).toContain('tidied\n')
    expect(log).not.toContain('must not run')
    expect(run.record.jobs.report!.status).toBe('succeeded')
    expect(run.record.jobs.notify!.status).toBe('succeeded')
    // rollback's need succeeded, but a job it depends on (test) failed.
    expect(run.record.jobs.rollback!.status).toBe('succeeded')
    expect(run.record.jobs.deploy).toMatchObject({status: 'skipped', skippedReason: 'needs test (failed)'})
    expect(readFileSync(join(run.dir, 'logs/notify.log'), 'utf8')).toContain('notified')
  })

  it('when the test passes: on_failure steps and jobs are left out, and a job skipped by if: says why everywhere (events, run.json, output, JUnit) without failing the run', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  test:
    inputs: []
    steps:
      - echo ok
      - name: diagnose
        when: on_failure
        run: echo "must not run"
  notify:
    needs: [test]
    when: on_failure
    inputs: []
    steps: ["echo must not run"]
  deploy:
    needs: [test]
    if: env.DEPLOY == 'true'
    inputs: []
    steps: ["echo deployed"]
  announce:
    needs: [deploy]
    inputs: []
    steps: ["echo announced"]
`,
    })
    const result = await orca(['run', '--output', 'plain', '--junit', 'junit.xml'], {cwd: dir, env: NEUTRAL_ENV})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const run = lastRun(dir)
    expect(run.record.status).toBe('succeeded')
    expect(steps(run.record.jobs.test!)).toEqual([
      ['echo ok', 'succeeded'],
      ['diagnose', 'skipped'],
    ])
    const reason = "if: env.DEPLOY == 'true' is false"
    expect(run.record.jobs.deploy).toMatchObject({status: 'skipped', skippedReason: reason})
    expect(run.record.jobs.notify).toMatchObject({status: 'skipped', skippedReason: 'when: on_failure, and no job it depends on failed'})
    expect(run.record.jobs.announce).toMatchObject({status: 'skipped', skippedReason: 'needs deploy (skipped)'})
    expect(run.events).toContainEqual(expect.objectContaining({type: 'job.skipped', job: 'deploy', reason}))
    expect(result.stdout).toContain(`[deploy]   ○ skipped (${reason})`)
    expect(result.stdout).toMatch(/○ deploy +skipped +if: env\.DEPLOY == 'true' is false/)
    const junit = parseXml(readFileSync(join(dir, 'junit.xml'), 'utf8'))
    const deploy = junit.children.find((suite) => suite.attrs.name === 'deploy')!
    expect(deploy.children.find((c) => c.name === 'testcase')!.children[0]).toMatchObject({name: 'skipped', attrs: {message: reason}})

    const show = await orca(['show', 'latest'], {cwd: dir, env: NEUTRAL_ENV})
    expect(show.stdout).toContain(`deploy: skipped: ${reason}`)
  })

  it('-e sets what an if: reads, and the matrix values of each expansion decide for it', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  deploy:
    matrix:
      region: [eu, us]
    if: env.DEPLOY == 'true' && matrix.region != 'us'
    inputs: []
    steps: ["echo deploying to \${{ matrix.region }}"]
`,
    })
    const result = await orca(['run', '--output', 'plain', '-e', 'DEPLOY=true'], {cwd: dir, env: NEUTRAL_ENV})
    expect(result.code).toBe(0)
    const run = lastRun(dir)
    expect(run.record.jobs['deploy-eu']!.status).toBe('succeeded')
    expect(run.record.jobs['deploy-us']).toMatchObject({status: 'skipped', skippedReason: "if: env.DEPLOY == 'true' && matrix.region != 'us' is false"})
    expect(readFileSync(join(run.dir, 'logs/deploy-eu.log'), 'utf8')).toContain('deploying to eu')
  })
})
