import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {orca, readJson, runDirs, type CliResult} from '../e2e/cli.js'
import {PrivateEngine} from './private-engine.js'
import {checkRunDirs, Projects} from './support.js'
import {tally} from './tally.js'

const IMAGE = 'busybox:1.36'
// Short bounds, so the engine is frozen or stopped for seconds, not minutes.
const ENGINE_TIMEOUT = '2s'

const PIPELINE = `version: 1
image: ${IMAGE}
jobs:
  slow:
    network: none
    cache: false
    steps:
      - echo started; sleep 30; echo never
      - echo never either
  after:
    needs: [slow]
    network: none
    steps: ["echo never runs"]
`

let engine: PrivateEngine
const projects = new Projects()

beforeAll(async () => {
  engine = await PrivateEngine.create([IMAGE])
})

afterAll(async () => {
  await engine?.destroy()
  projects.removeAll()
})

type Record = {status: string; error: {kind: string; message: string} | null; jobs: {[name: string]: {status: string; error: {kind: string} | null; cleanup: string | null}}}

/** Runs the pipeline against the private engine and calls `fault` once the long step has started. */
async function runWithFault(dir: string, fault: () => Promise<void> | void): Promise<CliResult> {
  let faulted = false
  const env = {DOCKER_HOST: engine.host, ORCA_DOCKER_TIMEOUT: ENGINE_TIMEOUT}
  const watch = async (): Promise<void> => {
    for (let i = 0; i < 600 && !faulted; i++) {
      const run = runDirs(dir).at(-1)
      if (run && existsSync(join(run, 'events.jsonl')) && readFileSync(join(run, 'events.jsonl'), 'utf8').includes('"type":"step.started"')) {
        faulted = true
        await fault()
        return
      }
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  const [result] = await Promise.all([orca(['run', '--output', 'plain'], {cwd: dir, env}), watch()])
  expect(faulted, 'the fault was injected while the step ran').toBe(true)
  return result
}

async function expectInfraFailure(dir: string, result: CliResult): Promise<void> {
  expect(result.code, result.stdout + result.stderr).toBe(3)
  expect((await checkRunDirs(dir)).problems).toEqual([])
  const record = readJson<Record>(join(runDirs(dir).at(-1)!, 'run.json'))
  expect(record.status).toBe('failed')
  expect(record.error?.kind).toBe('infra')
  expect(record.jobs.slow).toMatchObject({status: 'failed', error: {kind: 'infra'}})
  expect(record.jobs.after!.status).toBe('skipped')
}

async function expectCleanReconciles(dir: string): Promise<void> {
  const clean = await orca(['clean', '--leaks'], {cwd: dir, env: {DOCKER_HOST: engine.host}})
  expect(clean.code, clean.stderr).toBe(0)
  expect(engine.labelledContainers()).toEqual([])
}

describe('the Docker engine lost mid-job (a private engine, so nothing else is disturbed)', () => {
  it('frozen (SIGSTOP): the job ends as an infra failure, exit 3, a valid record; clean --leaks reconciles after it thaws', async () => {
    const dir = projects.create({'jobs.yml': PIPELINE})
    let thawTimer: NodeJS.Timeout | undefined
    try {
      const result = await runWithFault(dir, () => {
        engine.freeze()
        // Never frozen for long, whatever orca does.
        thawTimer = setTimeout(() => engine.thaw(), 30_000)
      })
      engine.thaw()
      await expectInfraFailure(dir, result)
      // The freeze lands at step.started: either an API call of the step (exec create/start) times out,
      // or the engine watch notices the silence while the step runs. Both must say Docker stopped answering.
      expect(result.stderr).toMatch(/Docker engine stopped answering|Docker did not answer within/)
    } finally {
      clearTimeout(thawTimer)
      engine.thaw()
    }
    await expectCleanReconciles(dir)
    tally('engine faults survived')
  })

  it('stopped (SIGTERM to dockerd): the job ends as an infra failure, exit 3, a valid record; clean --leaks reconciles after a restart', async () => {
    const dir = projects.create({'jobs.yml': PIPELINE})
    try {
      const result = await runWithFault(dir, () => engine.stop())
      await expectInfraFailure(dir, result)
    } finally {
      if (!engine.answers()) await engine.start()
    }
    await expectCleanReconciles(dir)
    tally('engine faults survived')
  })

  it('absent from the start: exit 3 with where orca looked, a valid record', async () => {
    const dir = projects.create({'jobs.yml': PIPELINE})
    const result = await orca(['run', '--output', 'plain'], {cwd: dir, env: {DOCKER_HOST: `unix://${engine.root}/nothing-here.sock`}})
    expect(result.code, result.stderr).toBe(3)
    expect(result.stderr).toMatch(/cannot reach the Docker engine/)
    expect((await checkRunDirs(dir)).problems).toEqual([])
    tally('engine faults survived')
  })
})
