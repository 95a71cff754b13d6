import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {schemaValidator} from '../helpers/schemas.js'
import {NEUTRAL_ENV, orca, projectsPerTest, readJson, readLines, runDirs} from './cli.js'

type JobRecord = {status: string; startedAt: string | null; finishedAt: string | null; displayName: string | null; matrix: {job: string; values: Record<string, string>} | null}
type RunRecord = {status: string; jobs: Record<string, JobRecord>}

const project = projectsPerTest()

/** 2 × 3 less one exclude, plus one include that adds a combination and one that extends one. */
const MATRIX = `version: 1
image: busybox:1.36
jobs:
  test:
    matrix:
      os: [alpine, debian]
      node: [18, 20, 22]
      exclude:
        - {os: debian, node: 18}
      include:
        - {os: alpine, node: 22, flavour: slim}
        - {os: windows, node: 20}
    inputs: []
    cache: false
    env:
      OS: \${{ matrix.os }}
      NODE: \${{ matrix.node }}
      FLAVOUR: "\${{ matrix.flavour }}"
    steps:
      - echo "os=$OS node=$NODE flavour=$FLAVOUR"; sleep 2
  after:
    needs: [test]
    inputs: []
    cache: false
    steps: [echo after]
`

const EXPANSIONS = {
  'test-alpine-node18': {os: 'alpine', node: '18', flavour: ''},
  'test-alpine-node20': {os: 'alpine', node: '20', flavour: ''},
  'test-alpine-node22': {os: 'alpine', node: '22', flavour: 'slim'},
  'test-debian-node20': {os: 'debian', node: '20', flavour: ''},
  'test-debian-node22': {os: 'debian', node: '22', flavour: ''},
  'test-windows-node20': {os: 'windows', node: '20', flavour: ''},
}

function lastRun(dir: string): {dir: string; record: RunRecord; events: Array<Record<string, unknown>>} {
  const run = runDirs(dir).at(-1)!
  return {dir: run, record: readJson<RunRecord>(join(run, 'run.json')), events: readLines(join(run, 'events.jsonl'))}
}

/** The most expansions of `test` whose recorded run times overlap at one moment. */
function mostAtOnce(record: RunRecord): number {
  const edges = Object.entries(record.jobs)
    .filter(([name]) => name.startsWith('test-'))
    .flatMap(([, job]) => [
      [Date.parse(job.startedAt!), 1],
      [Date.parse(job.finishedAt!), -1],
    ])
    // An end and a start at the same instant do not overlap.
    .sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!)
  let now = 0
  let most = 0
  for (const [, change] of edges) most = Math.max(most, (now += change!))
  return most
}

describe('matrix jobs (real engine)', () => {
  it('runs exactly the expected combinations, in parallel, each with its own env, log and record', async () => {
    const dir = project({'jobs.yml': MATRIX})
    const result = await orca(['run', '-j', '3', '--output', 'plain'], {cwd: dir, env: NEUTRAL_ENV})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)

    const run = lastRun(dir)
    expect(Object.keys(run.record.jobs)).toEqual([...Object.keys(EXPANSIONS), 'after'])
    for (const [id, values] of Object.entries(EXPANSIONS)) {
      const job = run.record.jobs[id]!
      expect(job.status).toBe('succeeded')
      expect(readFileSync(join(run.dir, 'logs', `${id}.log`), 'utf8')).toContain(`os=${values.os} node=${values.node} flavour=${values.flavour}\n`)
      const shown = Object.entries(values).filter(([name, value]) => name !== 'flavour' || value !== '')
      expect(job.displayName).toBe(`test (${shown.map(([name, value]) => `${name}=${value}`).join(', ')})`)
      expect(job.matrix).toEqual({job: 'test', values: Object.fromEntries(shown)})
    }
    expect(run.record.jobs.after!.status).toBe('succeeded')
    // `after` needs every expansion: it starts once the last of them has finished.
    const lastTest = Math.max(...Object.keys(EXPANSIONS).map((id) => Date.parse(run.record.jobs[id]!.finishedAt!)))
    expect(Date.parse(run.record.jobs.after!.startedAt!)).toBeGreaterThanOrEqual(lastTest)
    expect(mostAtOnce(run.record)).toBeGreaterThanOrEqual(2)
    expect(result.stdout).toContain('[test-alpine-node22]  ✓ test (os=alpine, node=22, flavour=slim): succeeded')

    const validateRecord = await schemaValidator('run-record.schema.json')
    const validateEvent = await schemaValidator('event.schema.json')
    expect(validateRecord(run.record), JSON.stringify(validateRecord.errors)).toBe(true)
    for (const event of run.events) expect(validateEvent(event), JSON.stringify(validateEvent.errors)).toBe(true)
    const started = run.events.find((e) => e.type === 'run.started') as {matrix: Record<string, unknown>; displayNames: Record<string, string>}
    expect(Object.keys(started.matrix)).toEqual(Object.keys(EXPANSIONS))
    expect(started.displayNames['test-debian-node20']).toBe('test (os=debian, node=20)')
  })

  it('max-parallel: 1 runs the expansions one at a time, even with room for more', async () => {
    // One at a time is the scheduler's rule, not a matter of timing: a short sleep still shows any overlap.
    const oneAtATime = MATRIX.replace('    inputs: []\n    cache: false\n    env:', '    max-parallel: 1\n    inputs: []\n    cache: false\n    env:').replace('sleep 2', 'sleep 1')
    const dir = project({'jobs.yml': oneAtATime})
    const result = await orca(['run', 'test', '-j', '4', '--output', 'plain'], {cwd: dir, env: NEUTRAL_ENV})
    expect(result.code).toBe(0)
    const run = lastRun(dir)
    expect(Object.keys(run.record.jobs)).toEqual(Object.keys(EXPANSIONS))
    expect(mostAtOnce(run.record)).toBe(1)
  })

  it('validate and --dry-run show the expansion; validate points at bad matrices and expressions', async () => {
    const dir = project({'jobs.yml': MATRIX})
    const valid = await orca(['validate'], {cwd: dir, env: NEUTRAL_ENV})
    expect(valid.code).toBe(0)
    expect(valid.stdout).toBe(`jobs.yml: 7 jobs, 6 edges, valid
matrix test: 6 jobs
  test-alpine-node18   test (os=alpine, node=18)
  test-alpine-node20   test (os=alpine, node=20)
  test-alpine-node22   test (os=alpine, node=22, flavour=slim)
  test-debian-node20   test (os=debian, node=20)
  test-debian-node22   test (os=debian, node=22)
  test-windows-node20  test (os=windows, node=20)
`)
    const dry = await orca(['run', '--dry-run', 'after'], {cwd: dir, env: NEUTRAL_ENV})
    expect(dry.code).toBe(0)
    expect(dry.stdout).toMatch(/^test-windows-node20 +test \(os=windows, node=20\) +busybox:1\.36 +- /m)
    expect(dry.stdout).toMatch(/^after +- +busybox:1\.36 +test\[6\] /m)
    const explain = await orca(['explain', 'test'], {cwd: dir, env: NEUTRAL_ENV})
    expect(explain.code).toBe(2)
    expect(explain.stderr).toContain('"test" is a matrix job; explain one of its expansions: test-alpine-node18, test-alpine-node20,')

    const bad = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  test:
    matrix:
      py: ["3.1", "3-1"]
      exclude: [{python: "3.1"}]
    steps: ["echo \${{ matrix.pyton }}"]
  report:
    needs: [test]
    if: needs.test.result = 'failure'
    steps: [echo]
`,
    })
    const invalid = await orca(['validate'], {cwd: bad, env: NEUTRAL_ENV})
    expect(invalid.code).toBe(2)
    expect(invalid.stdout).toBe('')
    expect(invalid.stderr.trimEnd().split('\n')).toEqual([
      'jobs.yml:7:18 jobs.test.matrix.exclude[0].python: exclude names "python", which is not a matrix variable ("py")',
      'jobs.yml:8:19 jobs.test.steps[0]: unknown matrix variable "pyton"; the matrix has "py"',
      'jobs.yml:11:27 jobs.report.if: invalid expression: unexpected character "="; compare with "=="',
    ])
  })
})
