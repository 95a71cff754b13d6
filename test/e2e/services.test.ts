import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {basename, join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {containers, containersLeft, orca, projectsPerTest, readJson, runDirs} from './cli.js'

const project = projectsPerTest()

// Built by scripts/test-images.sh from this machine's PostgreSQL 15 (its HEALTHCHECK is pg_isready).
const POSTGRES = 'orca-test/postgres:15'

/** Networks orca made for a run, as `docker network ls` sees them. */
function networks(runId: string): string[] {
  return execFileSync('docker', ['network', 'ls', '-q', '--filter', `label=orca.run=${runId}`], {encoding: 'utf8'}).split('\n').filter(Boolean)
}

function inspect(id: string): {Config: {Labels: Record<string, string>; Env: string[]}; HostConfig: Record<string, unknown>} {
  return (JSON.parse(execFileSync('docker', ['inspect', id], {encoding: 'utf8'})) as Array<{Config: {Labels: Record<string, string>; Env: string[]}; HostConfig: Record<string, unknown>}>)[0]!
}

interface JobRecord {
  status: string
  error: {kind: string; message: string} | null
  steps: Array<{status: string}>
  cleanup: string
}

beforeAll(() => {
  // Without it every test here fails on a pull no registry answers; say what to run instead.
  execFileSync('docker', ['image', 'inspect', POSTGRES], {stdio: 'ignore'})
}, 10_000)

describe('services beside a job (real engine, real PostgreSQL)', () => {
  it("runs the job's queries against a PostgreSQL service reached by its alias once it is ready, keeps its log, and removes it and the network", async () => {
    const dir = project({
      'jobs.yml': `version: 1
jobs:
  test:
    image: ${POSTGRES}
    services:
      db:
        image: ${POSTGRES}
        env: {POSTGRES_PASSWORD: hunter22, POSTGRES_DB: app}
        aliases: [postgres]
        ready: {command: "pg_isready -h localhost -U postgres", timeout: 60s, interval: 200ms}
    env: {PGPASSWORD: hunter22}
    steps:
      - psql -h postgres -U postgres -d app -v ON_ERROR_STOP=1 -c "create table t (n int)" -c "insert into t values (40), (2)" -At -c "select 'sum=' || sum(n) from t"
      - psql -h db -U postgres -d app -At -c "select 'tables=' || count(*) from pg_tables where tablename = 't'"
`,
    })
    const result = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(result.code, result.stdout + result.stderr).toBe(0)
    const run = runDirs(dir).at(-1)!
    const log = readFileSync(join(run, 'logs/test.log'), 'utf8')
    expect(log).toContain('sum=42')
    expect(log).toContain('tables=1')
    // The service's own output, from its first line on.
    const serviceLog = readFileSync(join(run, 'logs/test.services/db.log'), 'utf8')
    expect(serviceLog).toContain('database system initialized')
    expect(serviceLog).toContain('database system is ready to accept connections')
    expect(readJson<{jobs: Record<string, JobRecord>}>(join(run, 'run.json')).jobs.test).toMatchObject({status: 'succeeded', cleanup: 'removed'})
    expect(await containersLeft(`orca.run=${basename(run)}`)).toEqual([])
    expect(networks(basename(run))).toEqual([])

    // Unchanged, it is cached; a change to the service alone runs it again, and explain says why.
    const again = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(again.stdout).toMatch(/test\s+cached/)
    const edited = readFileSync(join(dir, 'jobs.yml'), 'utf8').replace('POSTGRES_DB: app', 'POSTGRES_DB: app, TZ: UTC')
    execFileSync('sh', ['-c', 'cat > jobs.yml'], {cwd: dir, input: edited})
    const explain = await orca(['explain', 'test'], {cwd: dir})
    expect(explain.stdout).toContain('service db: env changed')
  })

  it("waits for the image's HEALTHCHECK by default, for a TCP port, or only for the start; services see each other on the job's network", async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
services:
  web:
    image: busybox:1.36
    command: [sh, -c, "mkdir -p /www && echo hello from web > /www/index.html && exec httpd -f -v -p 8080 -h /www"]
    ready: {tcp: 8080, interval: 100ms}
jobs:
  check:
    image: ${POSTGRES}
    services:
      db: {image: "${POSTGRES}", env: {POSTGRES_PASSWORD: pw}}
      idle:
        image: busybox:1.36
        command: [sh, -c, "echo idle up; exec sleep 600"]
    env: {PGPASSWORD: pw}
    steps:
      - wget -qO- http://web:8080/
      - nslookup idle >/dev/null && echo idle resolves
      - psql -h db -U postgres -At -c "select 'healthy=' || 1"
`,
    })
    const result = await orca(['run', '--output', 'plain', '--no-cache'], {cwd: dir})
    expect(result.code, result.stdout + result.stderr).toBe(0)
    const run = runDirs(dir).at(-1)!
    const log = readFileSync(join(run, 'logs/check.log'), 'utf8')
    expect(log).toContain('hello from web')
    expect(log).toContain('idle resolves')
    // The default check waited for the HEALTHCHECK: the server took connections at the first step
    // (its cluster is made on first start, which takes longer than making the job's container).
    expect(log).toContain('healthy=1')
    expect(readFileSync(join(run, 'logs/check.services/idle.log'), 'utf8')).toBe('idle up\n')
    expect(await containersLeft(`orca.run=${basename(run)}`)).toEqual([])
    expect(networks(basename(run))).toEqual([])
  })

  it('fails the job clearly when a service never gets ready, shows its last lines with secrets masked, and leaves nothing behind', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  test:
    services:
      slow:
        image: busybox:1.36
        secrets: [SLOW_TOKEN]
        command: [sh, -c, "echo token is $SLOW_TOKEN; echo still warming up; exec sleep 600"]
        ready: {command: "test -e /ready", timeout: 2s, interval: 200ms}
    steps: [echo should not run]
  after:
    needs: [test]
    steps: [echo nor this]
`,
    })
    const result = await orca(['run', '--output', 'plain'], {cwd: dir, env: {SLOW_TOKEN: 'tok-3141592653'}})
    expect(result.code, result.stdout + result.stderr).toBe(1)
    expect(result.stdout).toContain('service slow not ready after 2s (ready.command: test -e /ready; last check: exit 1)')
    expect(result.stdout).toContain('last 2 lines of service slow (logs/test.services/slow.log):')
    expect(result.stdout).toContain('still warming up')
    expect(result.stdout + result.stderr).not.toContain('tok-3141592653')
    const run = runDirs(dir).at(-1)!
    expect(readFileSync(join(run, 'logs/test.services/slow.log'), 'utf8')).toBe('token is ***\nstill warming up\n')
    const record = readJson<{jobs: Record<string, JobRecord>}>(join(run, 'run.json'))
    expect(record.jobs.test).toMatchObject({status: 'failed', error: {kind: 'service'}, steps: [{status: 'skipped'}]})
    expect(record.jobs.after!.status).toBe('skipped')
    expect(await containersLeft(`orca.run=${basename(run)}`)).toEqual([])
    expect(networks(basename(run))).toEqual([])
  })

  it('fails the job when a service exits before it is ready, and prints the service log when a step fails', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  crash:
    services:
      broken: {image: "busybox:1.36", command: [sh, -c, "echo bad config >&2; exit 3"], ready: {tcp: 80}}
    steps: [echo should not run]
  red:
    services:
      api: {image: "busybox:1.36", command: [sh, -c, "echo api saw a bad request; exec sleep 600"]}
    steps: ["echo testing; exit 4"]
`,
    })
    const result = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(result.code, result.stdout + result.stderr).toBe(1)
    expect(result.stdout).toContain('service broken exited with code 3 before it was ready')
    expect(result.stdout).toContain('  bad config')
    expect(result.stdout).toMatch(/\[red\]\s+\[orca\] the step failed;/)
    expect(result.stdout).toMatch(/\[red\]\s+api saw a bad request/)
    const run = runDirs(dir).at(-1)!
    expect(await containersLeft(`orca.run=${basename(run)}`)).toEqual([])
    expect(networks(basename(run))).toEqual([])
  })

  it('keeps the services of a kept job, stopped, labelled and hardened like it, and clean --kept removes them', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  keep:
    cleanup: never_remove
    services:
      cache:
        image: busybox:1.36
        command: [sh, -c, "exec sleep 600"]
        resources: {pids: 50, memory: 64m}
    steps: [nslookup cache >/dev/null && echo found]
`,
    })
    const result = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(result.code, result.stdout + result.stderr).toBe(0)
    const runId = basename(runDirs(dir).at(-1)!)
    const kept = containers(`orca.run=${runId}`)
    expect(kept).toHaveLength(2)
    const service = kept.map(inspect).find((c) => c.Config.Labels['orca.service'] === 'cache')!
    expect(service.Config.Labels).toMatchObject({'orca.kept': 'true', 'orca.job': 'keep', 'orca.managed': 'true', 'orca.run': runId})
    expect(service.HostConfig).toMatchObject({Privileged: false, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'], PidsLimit: 50, Memory: 64 * 1024 * 1024, NetworkMode: 'bridge'})
    expect(networks(runId)).toEqual([])
    const clean = await orca(['clean', '--kept'], {cwd: dir})
    expect(clean.code, clean.stderr).toBe(0)
    expect(await containersLeft(`orca.run=${runId}`)).toEqual([])
  })

  it("stops the services with their job: at the job's timeout, and when the run is cancelled while they start", async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
services:
  never:
    image: busybox:1.36
    command: [sh, -c, "echo waiting; exec sleep 600"]
    ready: {command: "false", timeout: 10m}
jobs:
  slow:
    timeout: 2s
    steps: [echo should not run]
`,
    })
    const timedOut = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(timedOut.code, timedOut.stdout + timedOut.stderr).toBe(1)
    const first = runDirs(dir).at(-1)!
    expect(readJson<{jobs: Record<string, JobRecord>}>(join(first, 'run.json')).jobs.slow).toMatchObject({status: 'timed_out', cleanup: 'removed'})
    expect(await containersLeft(`orca.run=${basename(first)}`)).toEqual([])
    expect(networks(basename(first))).toEqual([])

    execFileSync('sh', ['-c', 'cat > jobs.yml'], {cwd: dir, input: readFileSync(join(dir, 'jobs.yml'), 'utf8').replace('timeout: 2s', 'timeout: 10m')})
    const cancelled = await orca(['run', '--output', 'plain'], {
      cwd: dir,
      // Once the service wrote its first line it is waited for: cancel then.
      onSpawn: (child) => {
        const timer = setInterval(() => {
          const run = runDirs(dir).find((d) => d !== first)
          if (run && existsSync(join(run, 'logs/slow.services/never.log')) && readFileSync(join(run, 'logs/slow.services/never.log'), 'utf8') !== '') {
            clearInterval(timer)
            child.kill('SIGTERM')
          }
        }, 100)
        child.on('exit', () => clearInterval(timer))
      },
    })
    expect(cancelled.code, cancelled.stdout + cancelled.stderr).toBe(130)
    const second = runDirs(dir).at(-1)!
    expect(second).not.toBe(first)
    expect(readJson<{jobs: Record<string, JobRecord>}>(join(second, 'run.json')).jobs.slow!.status).toBe('cancelled')
    expect(await containersLeft(`orca.run=${basename(second)}`)).toEqual([])
    expect(networks(basename(second))).toEqual([])
  })

  it('leaves a killed run\'s services and network to clean --leaks, which names them and removes them', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  app:
    services:
      db: {image: "busybox:1.36", command: [sh, -c, "echo db up; exec sleep 600"], ready: {command: "false", timeout: 10m}}
    steps: [echo never]
`,
    })
    await orca(['run', '--output', 'plain'], {
      cwd: dir,
      onSpawn: (child) => {
        const timer = setInterval(() => {
          const run = runDirs(dir).at(-1)
          const log = run && join(run, 'logs/app.services/db.log')
          if (log && existsSync(log) && readFileSync(log, 'utf8') !== '') {
            clearInterval(timer)
            child.kill('SIGKILL')
          }
        }, 100)
        child.on('exit', () => clearInterval(timer))
      },
    })
    const runId = basename(runDirs(dir).at(-1)!)
    expect(containers(`orca.run=${runId}`)).toHaveLength(2)
    expect(networks(runId)).toHaveLength(1)
    const clean = await orca(['clean', '--leaks'], {cwd: dir, env: {CI: 'true'}})
    expect(clean.code, clean.stderr).toBe(0)
    expect(clean.stdout + clean.stderr).toContain(`run ${runId}, job app, service db`)
    expect(clean.stdout + clean.stderr).toContain(`orca-${runId}-app`)
    expect(await containersLeft(`orca.run=${runId}`)).toEqual([])
    expect(networks(runId)).toEqual([])
  })

  it('refuses a pipeline whose services collide, with positions, before running anything', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  test:
    network: none
    services:
      db: {image: "${POSTGRES}", aliases: [cache]}
      cache: busybox:1.36
    steps: [x]
`,
    })
    const result = await orca(['run'], {cwd: dir})
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('jobs.yml:5:14 jobs.test.network: a job with services needs a network')
    expect(result.stderr).toContain('jobs.yml:8:7 jobs.test.services.cache: service name "cache" is already service "db"')
    expect(existsSync(join(dir, '.orca/runs'))).toBe(false)
  })
})
