import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {afterEach, describe, expect, it} from 'vitest'

import {NEUTRAL_ENV, orca, projectsPerTest, readJson, readLines, runDirs} from './cli.js'
import {startServe, type ServeProcess} from './serve-process.js'

type JobRecord = {status: string; cache: string | null; executor: string | null; workDir: string | null; error: {message: string} | null}
type RunRecord = {status: string; jobs: Record<string, JobRecord>}

const project = projectsPerTest()
/** A Docker endpoint nothing answers on: a run that needed the engine would fail with exit 3. */
const NO_DOCKER = {...NEUTRAL_ENV, DOCKER_HOST: 'tcp://127.0.0.1:1'}

function lastRun(dir: string): {dir: string; record: RunRecord; events: Array<Record<string, unknown>>} {
  const run = runDirs(dir).at(-1)!
  return {dir: run, record: readJson<RunRecord>(join(run, 'run.json')), events: readLines(join(run, 'events.jsonl'))}
}

/** The pids of this machine's processes whose command line holds `marker`. */
function processesWith(marker: string): number[] {
  const found: number[] = []
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) found.push(Number(pid))
    } catch {
      // Gone while listing.
    }
  }
  return found
}

/** Kills what a failed test may have left (only processes carrying its own marker). */
const markers: string[] = []
afterEach(() => {
  for (const marker of markers.splice(0)) for (const pid of processesWith(marker)) process.kill(pid, 'SIGKILL')
})

function uniqueMarker(): string {
  const marker = `orca-host-test-${process.pid}-${Math.random().toString(36).slice(2)}`
  markers.push(marker)
  return marker
}

describe('runs-on: host', () => {
  it('runs a pipeline of host jobs with no Docker engine: inputs, artifacts and outputs handed on, marked as host, its folder removed', async () => {
    const dir = project({
      'src/greeting.txt': 'hello\n',
      'jobs.yml': `version: 1
jobs:
  build:
    runs-on: host
    inputs: ["src/**"]
    outputs: [size]
    steps:
      - mkdir -p dist && tr a-z A-Z < src/greeting.txt > dist/shout.txt
      - echo "size=$(wc -c < dist/shout.txt | tr -d ' ')" >> "$ORCA_OUTPUT"
    artifacts: ["dist/**"]
  use:
    runs-on: host
    needs: [build]
    inputs: []
    env: {SIZE: "\${{ needs.build.outputs.size }}"}
    steps:
      - test ! -e src/greeting.txt && cat dist/shout.txt && echo "size $SIZE"
`,
    })
    const run = await orca(['run', '--output', 'plain'], {cwd: dir, env: NO_DOCKER})
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('[use]   HELLO')
    expect(run.stdout).toContain('[use]   size 6')
    expect(run.stdout).toMatch(/\[build\] ✓ succeeded in \S+ \(host\)/)
    const {dir: runDir, record} = lastRun(dir)
    expect(record.jobs.build).toMatchObject({status: 'succeeded', executor: 'host', workDir: null})
    expect(readFileSync(join(runDir, 'artifacts/build/dist/shout.txt'), 'utf8')).toBe('HELLO\n')
    // Each job's folder went with it.
    expect(existsSync(join(runDir, 'host'))).toBe(false)
  })

  it('runs a host step in its shell: sh without pipefail, bash with it, a {0} template from a file', async () => {
    const dir = project({
      'jobs.yml': `version: 1
jobs:
  shells:
    runs-on: host
    inputs: []
    steps:
      - false | true
      - name: template
        shell: sh -e {0}
        run: echo "from a script file"
  pipefail:
    runs-on: host
    inputs: []
    shell: bash
    steps:
      - false | true
      - echo "not reached"
`,
    })
    const run = await orca(['run', '--output', 'plain'], {cwd: dir, env: NO_DOCKER})
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('[shells]   from a script file')
    expect(run.stdout).not.toContain('not reached')
    const {record} = lastRun(dir)
    expect(record.jobs.shells!.status).toBe('succeeded')
    expect(record.jobs.pipefail!.status).toBe('failed')
  })

  it('masks secrets in a host job\'s output and log, and keeps stderr in order with stdout', async () => {
    const dir = project({
      'jobs.yml': `version: 1
jobs:
  deploy:
    runs-on: host
    inputs: []
    secrets: [DEPLOY_TOKEN]
    steps: ["echo first; echo \\"token=$DEPLOY_TOKEN\\" >&2; echo last"]
`,
    })
    const run = await orca(['run', '--output', 'plain'], {cwd: dir, env: {...NO_DOCKER, DEPLOY_TOKEN: 'hunter2-very-secret'}})
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain('[deploy] first\n[deploy] token=***\n[deploy] last')
    const log = readFileSync(join(lastRun(dir).dir, 'logs/deploy.log'), 'utf8')
    expect(log).toContain('token=***')
    expect(run.stdout + log).not.toContain('hunter2')
  })

  it('hands artifacts from a host job to a container job and back', async () => {
    const dir = project({
      'jobs.yml': `version: 1
jobs:
  make:
    runs-on: host
    inputs: []
    steps: ["echo from-host > made.txt"]
    artifacts: [made.txt]
  box:
    image: busybox:1.36
    network: none
    inputs: []
    needs: [make]
    steps: ["cat made.txt > boxed.txt && echo in-box >> boxed.txt"]
    artifacts: [boxed.txt]
  check:
    runs-on: host
    inputs: []
    needs: [box]
    steps: ["cat boxed.txt"]
`,
    })
    const run = await orca(['run', '--output', 'plain', 'check'], {cwd: dir, env: NEUTRAL_ENV})
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain('[check] from-host')
    expect(run.stdout).toContain('[check] in-box')
    const {record} = lastRun(dir)
    expect([record.jobs.make!.executor, record.jobs.box!.executor, record.jobs.check!.executor]).toEqual(['host', 'docker', 'host'])
  })

  it('stops the whole process tree of a step that exceeds its timeout, even children that ignore SIGTERM', async () => {
    const marker = uniqueMarker()
    const dir = project({
      'jobs.yml': `version: 1
jobs:
  slow:
    runs-on: host
    inputs: []
    steps:
      - name: spawn
        timeout: 2s
        run: |
          sh -c 'sleep 1000; echo ${marker}' &
          sh -c 'trap "" TERM; sleep 1000; echo ${marker}' &
          echo started
          wait
`,
    })
    const run = await orca(['run', '--output', 'plain'], {cwd: dir, env: NO_DOCKER})
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('[slow] started')
    expect(lastRun(dir).record.jobs.slow).toMatchObject({status: 'timed_out', executor: 'host'})
    expect(processesWith(marker)).toEqual([])
  })

  it('kills what a step left running in the background when its job ends', async () => {
    const marker = uniqueMarker()
    const dir = project({
      'jobs.yml': `version: 1
jobs:
  leaves:
    runs-on: host
    inputs: []
    steps: ["sh -c 'sleep 1000; echo ${marker}' > /dev/null 2>&1 &"]
`,
    })
    const run = await orca(['run', '--output', 'plain'], {cwd: dir, env: NO_DOCKER})
    expect(run.code, run.stderr).toBe(0)
    expect(processesWith(marker)).toEqual([])
  })

  it('caches a host job by its key commands: unchanged output is a hit, a changed one reruns and explain names the command', async () => {
    const dir = project({
      'tool-version': 'v1\n',
      'jobs.yml': `version: 1
jobs:
  build:
    runs-on: host
    host:
      key: ["cat tool-version", "echo fixed"]
    inputs: []
    steps: ["echo built"]
`,
    })
    const first = await orca(['run', '--output', 'plain'], {cwd: dir, env: NO_DOCKER})
    expect(first.code, first.stderr).toBe(0)
    expect(lastRun(dir).record.jobs.build).toMatchObject({status: 'succeeded', cache: 'miss'})

    const again = await orca(['run', '--output', 'plain'], {cwd: dir, env: NO_DOCKER})
    expect(again.code).toBe(0)
    expect(lastRun(dir).record.jobs.build).toMatchObject({status: 'cached', cache: 'hit', executor: 'host'})

    writeFileSync(join(dir, 'tool-version'), 'v2\n')
    const explain = await orca(['explain', 'build'], {cwd: dir, env: NO_DOCKER})
    expect(explain.stdout).toContain('host key')
    expect(explain.stdout).toContain('"cat tool-version" printed "v2" (was "v1")')
    expect(explain.stdout).not.toContain('echo fixed')
    const changed = await orca(['run', '--output', 'plain'], {cwd: dir, env: NO_DOCKER})
    expect(changed.code).toBe(0)
    expect(lastRun(dir).record.jobs.build).toMatchObject({status: 'succeeded', cache: 'miss'})
  })

  it('always runs a host job without key commands, and says so in --dry-run and explain', async () => {
    const dir = project({
      'jobs.yml': `version: 1
jobs:
  test:
    runs-on: host
    inputs: []
    steps: ["echo ran"]
`,
    })
    for (let i = 0; i < 2; i++) {
      const run = await orca(['run', '--output', 'plain'], {cwd: dir, env: NO_DOCKER})
      expect(run.code).toBe(0)
      expect(lastRun(dir).record.jobs.test).toMatchObject({status: 'succeeded', cache: 'disabled'})
    }
    const dry = await orca(['run', '--dry-run'], {cwd: dir, env: NO_DOCKER})
    expect(dry.stdout).toMatch(/test\s+\(host\)\s+-\s+\w+\s+disabled\s+host job without key commands: always runs/)
    const explain = await orca(['explain', 'test'], {cwd: dir, env: NO_DOCKER})
    expect(explain.stdout).toContain('test: never cached (host job without key commands: always runs)')
  })

  it('fails a run whose key command fails, naming it (exit 3), before any step runs', async () => {
    const dir = project({
      'jobs.yml': `version: 1
jobs:
  build:
    runs-on: host
    host: {key: ["no-such-tool-here --version"]}
    inputs: []
    steps: ["echo must-not-run"]
`,
    })
    const run = await orca(['run', '--output', 'plain'], {cwd: dir, env: NO_DOCKER})
    expect(run.code).toBe(3)
    expect(run.stdout + run.stderr).toContain('host key command "no-such-tool-here --version" of job "build" exited with 127')
    expect(run.stdout).not.toContain('must-not-run')
  })

  it('validate marks host jobs and refuses container keys on them with their position', async () => {
    const good = project({
      'jobs.yml': `version: 1
jobs:
  mac:
    runs-on: host
    host: {key: ["uname -sm"]}
    steps: ["true"]
  any:
    runs-on: host
    steps: ["true"]
`,
    })
    const ok = await orca(['validate'], {cwd: good, env: NO_DOCKER})
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain('host jobs (run on this machine, not in a container):\n  mac  key: uname -sm\n  any  no key commands: always runs')

    const bad = project({
      'jobs.yml': `version: 1
jobs:
  mac:
    runs-on: host
    image: busybox:1.36
    services: {db: busybox:1.36}
    steps: ["true"]
  box:
    image: busybox:1.36
    host: {key: ["uname"]}
    steps: ["true"]
`,
    })
    const refused = await orca(['validate'], {cwd: bad, env: NO_DOCKER})
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('jobs.yml:5:5 jobs.mac.image: "image" cannot be set on a runs-on: host job: a host job runs on this machine, in no image')
    expect(refused.stderr).toContain('jobs.yml:6:5 jobs.mac.services: "services" cannot be set on a runs-on: host job')
    expect(refused.stderr).toContain('jobs.yml:10:5 jobs.box.host: host settings apply only to a job with "runs-on: host"')
    expect(refused.stderr).not.toContain('    at ')
  })

  it('cancels a running host job and its children on SIGTERM (exit 130)', async () => {
    const marker = uniqueMarker()
    const dir = project({
      'jobs.yml': `version: 1
jobs:
  long:
    runs-on: host
    inputs: []
    steps: ["sh -c 'sleep 1000; echo ${marker}' & echo started; wait"]
`,
    })
    const run = await orca(['run', '--output', 'plain'], {
      cwd: dir,
      env: NO_DOCKER,
      onSpawn: (child) => void waitFor(() => processesWith(marker).length > 0).then(() => child.kill('SIGTERM')),
    })
    expect(run.code).toBe(130)
    expect(lastRun(dir).record.jobs.long).toMatchObject({status: 'cancelled'})
    expect(processesWith(marker)).toEqual([])
  })

  it('keeps the folder of a host job its policy keeps, says where, and clean --leaks leaves it', async () => {
    const dir = project({
      'jobs.yml': `version: 1
jobs:
  kept:
    runs-on: host
    inputs: []
    cleanup: never_remove
    steps: ["echo inside > note.txt"]
`,
    })
    const run = await orca(['run', '--output', 'plain'], {cwd: dir, env: NO_DOCKER})
    expect(run.code).toBe(0)
    const {record} = lastRun(dir)
    const folder = record.jobs.kept!.workDir!
    expect(run.stdout).toContain(`[kept] kept its folder: ${folder}`)
    expect(readFileSync(join(folder, 'workspace/note.txt'), 'utf8')).toBe('inside\n')
    const clean = await orca(['clean', '--leaks'], {cwd: dir, env: NEUTRAL_ENV})
    expect(clean.code, clean.stderr).toBe(0)
    expect(existsSync(folder)).toBe(true)
  })

  it('clean --leaks removes the folder and stops the steps of a host job whose orca was killed', async () => {
    const marker = uniqueMarker()
    const dir = project({
      'jobs.yml': `version: 1
jobs:
  orphan:
    runs-on: host
    inputs: []
    steps: ["sh -c 'sleep 1000; echo ${marker}' & wait"]
`,
    })
    // Killed once the step runs and its folder's marker records the step's process group: a kill
    // between the spawn and that write (a loaded machine widens it) leaves a group nothing recorded.
    const recorded = (): boolean => {
      const run = runDirs(dir).at(-1)
      const file = run && join(run, 'host/orphan/.orca-host-work.json')
      return Boolean(file && existsSync(file) && readJson<{groups: unknown[]}>(file).groups.length > 0)
    }
    const run = await orca(['run', '--output', 'plain'], {
      cwd: dir,
      env: NO_DOCKER,
      onSpawn: (child) => void waitFor(() => processesWith(marker).length > 0 && recorded()).then(() => child.kill('SIGKILL')),
    })
    expect(run.signal).toBe('SIGKILL')
    const folder = join(runDirs(dir).at(-1)!, 'host/orphan')
    expect(existsSync(join(folder, '.orca-host-work.json'))).toBe(true)
    expect(processesWith(marker).length).toBeGreaterThan(0)

    const dry = await orca(['clean', '--leaks', '--dry-run'], {cwd: dir, env: NEUTRAL_ENV})
    expect(dry.stdout).toContain(folder)
    expect(existsSync(folder)).toBe(true)
    const clean = await orca(['clean', '--leaks'], {cwd: dir, env: NEUTRAL_ENV})
    expect(clean.code, clean.stderr).toBe(0)
    expect(clean.stdout).toContain('1 process group still running')
    expect(existsSync(folder)).toBe(false)
    await waitFor(() => processesWith(marker).length === 0)
    expect(processesWith(marker)).toEqual([])
  })
})

describe('orca serve and host jobs', () => {
  const servers: ServeProcess[] = []
  afterEach(() => {
    for (const server of servers.splice(0)) server.child.kill('SIGKILL')
  })

  const PIPELINE = `version: 1
jobs:
  local:
    runs-on: host
    inputs: []
    steps: ["echo on-the-server"]
`

  it('refuses a run with host jobs unless serve.allowHost is set', async () => {
    const dir = project({'jobs.yml': PIPELINE})
    const server = await startServe(dir, [], NO_DOCKER)
    servers.push(server)
    const refused = await fetch(`${server.url}/v1/runs`, {method: 'POST', headers: {'content-type': 'application/json'}, body: '{}'})
    expect(refused.status).toBe(403)
    const body = (await refused.json()) as {error: {code: string; message: string; hint: string}}
    expect(body.error.code).toBe('host_jobs_not_allowed')
    expect(body.error.message).toContain('runs-on: host): local')
    expect(body.error.hint).toContain('serve.allowHost: true')
    expect(runDirs(dir)).toEqual([])
  })

  it('runs them when the configuration allows it', async () => {
    const dir = project({'jobs.yml': PIPELINE, 'orca.config.yml': 'serve:\n  allowHost: true\n'})
    const server = await startServe(dir, [], NO_DOCKER)
    servers.push(server)
    const started = await fetch(`${server.url}/v1/runs`, {method: 'POST', headers: {'content-type': 'application/json'}, body: '{}'})
    expect(started.status).toBe(202)
    const {id} = (await started.json()) as {id: string}
    await waitFor(async () => ((await (await fetch(`${server.url}/v1/runs/${id}`)).json()) as RunRecord).status !== 'running')
    const record = (await (await fetch(`${server.url}/v1/runs/${id}`)).json()) as RunRecord
    expect(record.jobs.local).toMatchObject({status: 'succeeded', executor: 'host'})
  })
})

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting')
    await sleep(50)
  }
}
