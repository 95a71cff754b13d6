import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, readFileSync, realpathSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'

import {describe, expect, it, onTestFinished, vi} from 'vitest'

import {containers, containersLeft, orca, projectsPerTest, readJson, readLines, runDirs} from './cli.js'
import {git} from '../helpers/git.js'
import {schemaValidator} from '../helpers/schemas.js'

type JobRecord = {
  status: string
  steps: Array<{name: string; status: string; exitCode: number | null}>
  artifacts: {count: number; bytes: number; manifest: string | null; sha256: string | null} | null
  cleanup: string
  containerId?: string
}
type RunRecord = {id: string; status: string; jobs: Record<string, JobRecord>}

const project = projectsPerTest()

function lastRun(dir: string): {dir: string; record: RunRecord; events: Array<Record<string, unknown>>} {
  const run = runDirs(dir).at(-1)!
  return {dir: run, record: readJson<RunRecord>(join(run, 'run.json')), events: readLines(join(run, 'events.jsonl'))}
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex')

describe('orca run (real engine)', () => {
  it('runs a diamond, passing artifacts along the graph, and records everything', async () => {
    const dir = project({
      'src/words.txt': 'b\na\nc\n',
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  prepare:
    inputs: ["src/**"]
    steps:
      - name: sort
        run: mkdir -p out && sort src/words.txt > out/sorted.txt
    artifacts: ["out/**"]
  left:
    needs: [prepare]
    inputs: []
    steps: ["mkdir -p l && wc -l < out/sorted.txt > l/count.txt"]
    artifacts: ["l/count.txt"]
  right:
    needs: [prepare]
    inputs: []
    steps: ["mkdir -p r && head -n 1 out/sorted.txt > r/first.txt"]
    artifacts: ["r/first.txt"]
  join:
    needs: [left, right]
    inputs: []
    steps:
      - test ! -e out/sorted.txt || { echo "prepare's artifacts leaked past its dependents"; exit 9; }
      - mkdir -p j && cat l/count.txt r/first.txt > j/result.txt && cat j/result.txt
    artifacts: ["j/result.txt"]
`,
    })
    const result = await orca(['run', 'join', '--output', 'plain'], {cwd: dir})
    expect(result.stderr).not.toContain('    at ')
    expect(result.code).toBe(0)

    const run = lastRun(dir)
    expect(run.record.status).toBe('succeeded')
    expect(Object.fromEntries(Object.entries(run.record.jobs).map(([k, v]) => [k, v.status]))).toEqual({
      prepare: 'succeeded',
      left: 'succeeded',
      right: 'succeeded',
      join: 'succeeded',
    })
    const result_ = join(run.dir, 'artifacts/join/j/result.txt')
    expect(readFileSync(result_, 'utf8')).toBe('3\na\n')
    // run.json sums a job's artifacts up; the manifest it names lists each one.
    expect(run.record.jobs.join!.artifacts).toEqual({count: 1, bytes: 4, manifest: 'artifacts/join.json', sha256: sha256(join(run.dir, 'artifacts/join.json'))})
    const manifest = JSON.parse(readFileSync(join(run.dir, 'artifacts/join.json'), 'utf8')) as {files: unknown[]}
    expect(manifest.files).toEqual([{path: 'j/result.txt', type: 'file', mode: 0o644, size: 4, sha256: sha256(result_)}])
    expect(readFileSync(join(run.dir, 'artifacts/prepare/out/sorted.txt'), 'utf8')).toBe('a\nb\nc\n')
    expect(readFileSync(join(run.dir, 'logs/join.log'), 'utf8')).toContain('3\na\n')
    expect(result.stdout).toMatch(/^\[join\]\s+3$/m)
    expect(await containersLeft(`orca.run=${run.record.id}`)).toEqual([])
  })

  it('writes run.json and events.jsonl that match their schemas', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  ok:
    steps: ["echo fine", {name: tolerated, run: "exit 3", allow_failure: true}]
  bad:
    steps: ["echo oops >&2; exit 2"]
  after:
    needs: [bad]
    steps: ["true"]
`,
    })
    const result = await orca(['run'], {cwd: dir})
    expect(result.code).toBe(1)
    const run = lastRun(dir)
    const validateRecord = await schemaValidator('run-record.schema.json')
    const validateEvent = await schemaValidator('event.schema.json')
    expect(validateRecord(run.record), JSON.stringify(validateRecord.errors)).toBe(true)
    for (const event of run.events) expect(validateEvent(event), JSON.stringify(validateEvent.errors)).toBe(true)
    expect(run.events.map((e) => e.seq)).toEqual(run.events.map((_, i) => i + 1))
  })

  it('fails a job on a non-zero step, skips its dependents, finishes siblings, exits 1', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  broken:
    steps: ["echo before", "exit 7", "echo never-printed"]
  dependent:
    needs: [broken]
    steps: ["echo should not run"]
  sibling:
    steps: ["sleep 1", "echo sibling done"]
`,
    })
    const result = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(result.code).toBe(1)
    const {record} = lastRun(dir)
    expect(record.status).toBe('failed')
    expect(record.jobs.broken!.status).toBe('failed')
    expect(record.jobs.broken!.steps.map((s) => [s.status, s.exitCode])).toEqual([
      ['succeeded', 0],
      ['failed', 7],
      ['skipped', null],
    ])
    expect(record.jobs.dependent!.status).toBe('skipped')
    expect(record.jobs.sibling!.status).toBe('succeeded')
    expect(result.stdout).not.toContain('never-printed')
    expect(result.stdout).toContain('sibling done')
  })

  it('stops a multi-line step at its first failing command: the job fails and the later lines do not run', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  build:
    cache: false
    steps:
      - name: compile
        run: |
          echo compiling
          false
          echo built > built.txt
          echo after-the-failure
      - echo next-step
    artifacts: ["built.txt"]
`,
    })
    const result = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(result.code).toBe(1)
    const {dir: run, record} = lastRun(dir)
    expect(record.jobs.build!.status).toBe('failed')
    expect(record.jobs.build!.steps.map((s) => [s.name, s.status, s.exitCode])).toEqual([
      ['compile', 'failed', 1],
      ['echo next-step', 'skipped', null],
    ])
    const log = readFileSync(join(run, 'logs/build.log'), 'utf8')
    expect(log).toContain('compiling')
    expect(log).not.toContain('after-the-failure')
    expect(result.stdout).not.toContain('after-the-failure')
    expect(result.stdout).not.toContain('next-step\n')
  })

  it('ends a step that leaves a background process holding its output with its shell; later output goes to the step then running', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  server:
    cache: false
    steps:
      - name: start
        run: |
          sleep 30 &
          (sleep 1; echo server-says-hello) &
          echo started
      - name: use
        run: sleep 3; echo used
`,
    })
    const result = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(result.code).toBe(0)
    const {dir: run, record, events} = lastRun(dir)
    expect(record.jobs.server!.steps.map((s) => [s.name, s.status])).toEqual([
      ['start', 'succeeded'],
      ['use', 'succeeded'],
    ])
    // The background line comes 1 s after the first step's shell exits, while the second step sleeps.
    // Held open by its background processes (Docker keeps an exec's output 2 s), the first step would own it.
    const output = (step: number): string =>
      events
        .filter((e) => e.type === 'step.output' && e.step === step)
        .map((e) => String(e.text))
        .join('')
    expect(output(0)).toBe('started\n')
    expect(output(1)).toBe('server-says-hello\nused\n')
    expect(readFileSync(join(run, 'logs/server.log'), 'utf8')).toMatch(/started\n[^]*server-says-hello\nused\n/)
  })

  it('lets a job succeed past an allow_failure step and records the step failure', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  lenient:
    steps:
      - {name: flaky, run: "exit 4", allow_failure: true}
      - {name: after, run: "echo still here"}
`,
    })
    const result = await orca(['run'], {cwd: dir})
    expect(result.code).toBe(0)
    const job = lastRun(dir).record.jobs.lenient!
    expect(job.status).toBe('succeeded')
    expect(job.steps.map((s) => [s.name, s.status, s.exitCode])).toEqual([
      ['flaky', 'failed', 4],
      ['after', 'succeeded', 0],
    ])
  })

  it('times out a step and a job promptly, marks them timed_out and leaves nothing running', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  slow-step:
    steps:
      - {name: sleepy, run: "sleep 60", timeout: 1s}
      - echo unreachable
  slow-job:
    timeout: 2s
    steps: ["trap '' TERM; sleep 60"]
`,
    })
    const started = Date.now()
    const result = await orca(['run'], {cwd: dir})
    const elapsed = Date.now() - started
    expect(result.code).toBe(1)
    const {record} = lastRun(dir)
    expect(record.status).toBe('timed_out')
    expect(record.jobs['slow-step']!.status).toBe('timed_out')
    expect(record.jobs['slow-step']!.steps.map((s) => s.status)).toEqual(['timed_out', 'skipped'])
    expect(record.jobs['slow-job']!.status).toBe('timed_out')
    // Far below the 60 s the steps asked for: the timers, not the steps, ended the run.
    expect(elapsed).toBeLessThan(45_000)
    expect(await containersLeft(`orca.run=${record.id}`)).toEqual([])
  })

  it('masks secrets in stdout, logs and events, and keeps them out of the record', async () => {
    const secret = 'hunter2-very-secret'
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  leaky:
    secrets: [API_TOKEN]
    steps:
      - echo "token=$API_TOKEN"
      - printf '%s' "$API_TOKEN" | cut -c1-7; printf '%s\\n' "$API_TOKEN" | cut -c8-
      - echo "again $API_TOKEN" >&2
`,
    })
    const result = await orca(['run', '--output', 'plain'], {cwd: dir, env: {API_TOKEN: secret}})
    expect(result.code).toBe(0)
    const run = lastRun(dir)
    const everything = [
      result.stdout,
      result.stderr,
      readFileSync(join(run.dir, 'logs/leaky.log'), 'utf8'),
      readFileSync(join(run.dir, 'events.jsonl'), 'utf8'),
      readFileSync(join(run.dir, 'run.json'), 'utf8'),
    ]
    for (const text of everything) expect(text).not.toContain(secret)
    expect(result.stdout).toContain('token=***')
    expect(readFileSync(join(run.dir, 'logs/leaky.log'), 'utf8')).toContain('again ***')
  })

  it('masks a multi-line secret whole and line by line, in stdout, logs and events', async () => {
    const lines = ['-----BEGIN TEST KEY-----', 'bm90IGEgcmVhbCBrZXksIGJ1dCBpdCBwbGF5cyBvbmUgb24gdGVsZXZpc2lvbg', 'c2Vjb25kIGxpbmUgb2YgdGhlIGtleQ', '-----END TEST KEY-----']
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  deploy:
    secrets: [DEPLOY_KEY]
    steps:
      - printf '%s\\n' "$DEPLOY_KEY"
      - echo "second line alone - $(echo "$DEPLOY_KEY" | sed -n 2p) - done"
`,
    })
    const result = await orca(['run', '--output', 'plain'], {cwd: dir, env: {DEPLOY_KEY: `${lines.join('\n')}\n`}})
    expect(result.code).toBe(0)
    const run = lastRun(dir)
    const log = readFileSync(join(run.dir, 'logs/deploy.log'), 'utf8')
    for (const text of [result.stdout, log, readFileSync(join(run.dir, 'events.jsonl'), 'utf8')]) {
      for (const line of lines) expect(text).not.toContain(line)
    }
    expect(log).toContain('second line alone - *** - done')
  })

  it('refuses to start when a secret is missing, writing no run record', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  needs-secret:
    secrets: [MISSING_TOKEN_FOR_TEST]
    steps: ["true"]
`,
    })
    const result = await orca(['run'], {cwd: dir, env: {MISSING_TOKEN_FOR_TEST: undefined}})
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('MISSING_TOKEN_FOR_TEST (jobs.needs-secret.secrets)')
    expect(runDirs(dir)).toEqual([])
  })

  it('cancels on SIGINT: exit 130, run and job cancelled, no container left', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  forever:
    steps: ["echo started; sleep 120"]
  later:
    needs: [forever]
    steps: ["true"]
`,
    })
    const result = await orca(['run', '--output', 'plain'], {
      cwd: dir,
      onSpawn: (child) => {
        child.stdout!.on('data', (d: Buffer) => {
          if (d.toString().includes('started')) child.kill('SIGINT')
        })
      },
    })
    expect(result.code).toBe(130)
    const {record} = lastRun(dir)
    expect(record.status).toBe('cancelled')
    expect(record.jobs.forever!.status).toBe('cancelled')
    expect(record.jobs.later!.status).toBe('skipped')
    expect(await containersLeft(`orca.run=${record.id}`)).toEqual([])
  })

  it('cancels cleanly when its reader goes away (orca run | head): exit 130, a record, no container left', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  chatty:
    steps: ["for i in 1 2 3 4 5 6; do echo line $i; sleep 1; done; sleep 60"]
`,
    })
    const result = await orca(['run', '--output', 'plain'], {
      cwd: dir,
      onSpawn: (child) => {
        // Like `head -1`: read the first output line, then close the pipe.
        child.stdout!.once('data', () => child.stdout!.destroy())
      },
    })
    expect(result.code).toBe(130)
    expect(result.stderr).not.toContain('EPIPE')
    expect(result.stderr).not.toContain('    at ')
    const {record} = lastRun(dir)
    expect(record.status).toBe('cancelled')
    expect(record.jobs.chatty!.status).toBe('cancelled')
    expect(await containersLeft(`orca.run=${record.id}`)).toEqual([])
  })

  it('prints events as NDJSON with --output json', async () => {
    const dir = project({'jobs.yml': 'version: 1\nimage: busybox:1.36\njobs:\n  hi:\n    steps: ["echo hello"]\n'})
    const result = await orca(['run', '--output', 'json'], {cwd: dir})
    expect(result.code).toBe(0)
    const events = result.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as {type: string; text?: string})
    expect(events[0]!.type).toBe('run.started')
    expect(events.at(-1)!.type).toBe('run.finished')
    expect(events.some((e) => e.type === 'step.output' && e.text === 'hello\n')).toBe(true)
  })

  it('exits 2 for an unknown target and 3 when Docker cannot be reached', async () => {
    const dir = project({'jobs.yml': 'version: 1\nimage: busybox:1.36\njobs:\n  hi:\n    steps: ["echo hello"]\n'})
    const unknown = await orca(['run', 'nope'], {cwd: dir})
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('unknown target "nope"')

    const unreachable = await orca(['run'], {cwd: dir, env: {DOCKER_HOST: 'unix:///nonexistent/docker.sock'}})
    expect(unreachable.code).toBe(3)
    expect(unreachable.stderr).toContain('unix:///nonexistent/docker.sock')
    expect(unreachable.stderr).not.toContain('    at ')
  })

  it('refuses an image reference Docker would refuse with exit 2 and its position, before any run or request', async () => {
    // Stands where a crafted name used to send the engine's redirect: it must hear nothing.
    const requests: string[] = []
    const server = createServer((request, response) => {
      requests.push(request.url ?? '')
      response.end('{}')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const {port} = server.address() as AddressInfo
      for (const image of ['foo//bar', `x/../..//127.0.0.1:${port}/y`]) {
        const dir = project({'jobs.yml': `version: 1\njobs:\n  hi:\n    image: "${image}"\n    steps: ["echo hello"]\n`})
        const result = await orca(['run', '--output', 'plain'], {cwd: dir})
        expect(result.code, result.stderr).toBe(2)
        expect(result.stderr).toContain(`jobs.yml:4:12 jobs.hi.image: invalid image reference ${JSON.stringify(image)}: it has an empty path component`)
        expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
        expect(runDirs(dir)).toEqual([])
      }
      expect(requests).toEqual([])
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('refuses at load what used to fail in the container: a NUL in a step, a volume at "/", an artifact glob ending in "/"', async () => {
    const dir = project({'jobs.yml': 'version: 1\nimage: busybox:1.36\njobs:\n  hi:\n    volumes: {cache: /}\n    steps: ["echo a\\0b"]\n    artifacts: [out/]\n'})
    // In a repository: git is asked for the project's files while the pipeline is read, and its answer never taken.
    git(dir, 'init', '-q')
    const result = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(result.code).toBe(2)
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([
      'jobs.yml:5:22 jobs.hi.volumes.cache: volume "cache" cannot be mounted at "/", the container\'s root',
      'jobs.yml:6:13 jobs.hi.steps[0]: contains a NUL byte ("\\0"), which no command, variable or path can hold',
      'jobs.yml:7:17 jobs.hi.artifacts[0]: artifact glob "out/" ends with "/", so it matches no file; for every file under it write "out/**"',
    ])
    expect(runDirs(dir)).toEqual([])
    // Nothing written at all: no run, no cache, no record of git's answer.
    expect(existsSync(join(dir, '.orca'))).toBe(false)
  })

  it('treats names that are also Object.prototype\'s properties as data: validate, run, show, logs, explain, --dry-run', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
env: {__proto__: top, toString: top-tostring}
jobs:
  constructor:
    env: {__proto__: job, hasOwnProperty: job-hasown}
    secrets: [constructor, __proto__]
    volumes: {constructor: /cache}
    network: none
    steps:
      - name: show
        run: |
          test -d /cache && mkdir -p out && echo "proto=$__proto__ tostring=$toString hasown=$hasOwnProperty" > out/__proto__
          echo "secret=$constructor" > out/constructor && cat out/__proto__
        env: {valueOf: step-valueof}
    artifacts: ["out/__proto__", "out/constructor"]
  prototype:
    needs: [constructor]
    inputs: []
    network: none
    steps: ["cat out/__proto__ out/constructor"]
`,
    })
    const env = JSON.parse('{"constructor": "s3cret-one", "__proto__": "s3cret-two"}') as NodeJS.ProcessEnv
    // The volume named constructor is Docker's orca-constructor: removed afterwards unless it was there before.
    const volumeThere = execFileSync('docker', ['volume', 'ls', '-q', '--filter', 'name=^orca-constructor$'], {encoding: 'utf8'}).trim() !== ''
    onTestFinished(() => {
      if (!volumeThere) execFileSync('docker', ['volume', 'rm', '-f', 'orca-constructor'], {stdio: 'ignore'})
    })
    const validate = await orca(['validate'], {cwd: dir})
    expect(validate.stdout).toBe('jobs.yml: 2 jobs, 1 edge, valid\n')

    const result = await orca(['run', '--output', 'plain'], {cwd: dir, env})
    expect(result.code, result.stdout + result.stderr).toBe(0)
    // The secret __proto__ wins over the env value of that name; both secrets are masked.
    expect(result.stdout).toContain('[prototype]   proto=*** tostring=top-tostring hasown=job-hasown\n')
    expect(result.stdout).toContain('[prototype]   secret=***\n')
    expect(result.stdout + result.stderr).not.toMatch(/s3cret/)
    const {dir: runDir, record} = lastRun(dir)
    expect(Object.keys(record.jobs)).toEqual(['constructor', 'prototype'])
    const jobNamed = (name: string): JobRecord | undefined => record.jobs[name]
    expect(jobNamed('constructor')!.artifacts).toMatchObject({count: 2, manifest: 'artifacts/constructor.json'})
    const manifest = readJson<{files: Array<{path: string}>}>(join(runDir, 'artifacts/constructor.json'))
    expect(manifest.files.map((a) => a.path)).toEqual(['out/__proto__', 'out/constructor'])
    expect(await containersLeft(`orca.run=${record.id}`)).toEqual([])
    expect(readFileSync(join(runDir, 'logs/constructor.log'), 'utf8')).toBe('==> show\nproto=*** tostring=top-tostring hasown=job-hasown\n')

    const show = await orca(['show', 'latest'], {cwd: dir})
    expect(show.code).toBe(0)
    expect(show.stdout).toMatch(/^constructor\s+succeeded/m)
    expect(show.stdout).toMatch(/^ {2}constructor {2}2 files, \d+ B {2}artifacts\/constructor\.json\n {4}out\/__proto__ /m)
    const logs = await orca(['logs', 'latest', '--job', 'prototype'], {cwd: dir})
    expect(logs.stdout).toBe('==> cat out/__proto__ out/constructor\nproto=*** tostring=top-tostring hasown=job-hasown\nsecret=***\n')
    const absent = await orca(['logs', 'latest', '--job', 'tostring'], {cwd: dir})
    expect(absent.code).toBe(2)
    expect(absent.stderr).toContain('has no job "tostring"')

    const dryRun = await orca(['run', '--dry-run'], {cwd: dir, env})
    expect(dryRun.stdout).toMatch(/^constructor\s+busybox:1\.36\s+-\s+[0-9a-f]{12}\s+hit/m)
    expect(dryRun.stdout).toMatch(/^prototype\s+busybox:1\.36\s+constructor\s+[0-9a-f]{12}\s+hit/m)
    // Only the __proto__ variable of the job changes: the key sees it, explain names it.
    writeFileSync(join(dir, 'jobs.yml'), readFileSync(join(dir, 'jobs.yml'), 'utf8').replace('{__proto__: job,', '{__proto__: changed, constructor: added,'))
    const explain = await orca(['explain', 'constructor'], {cwd: dir, env})
    expect(explain.code).toBe(0)
    expect(explain.stdout).toContain('__proto__: "job" → "changed"')
    expect(explain.stdout).toContain('constructor added ("added")')
  })

  it('leaves help and usage mistakes of orca run to oclif, with its messages and exit code 2', async () => {
    const dir = project({'jobs.yml': 'version: 1\nimage: busybox:1.36\njobs:\n  hi:\n    steps: ["echo hello"]\n'})
    const help = await orca(['run', '--help'], {cwd: dir})
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('$ orca run [TARGETS...]')
    const bogus = await orca(['run', '--bogus'], {cwd: dir})
    expect(bogus.code).toBe(2)
    expect(bogus.stderr).toContain('Nonexistent flag: --bogus')
    const zero = await orca(['run', '-j', '0'], {cwd: dir})
    expect(zero.code).toBe(2)
    expect(zero.stderr).toContain('Expected an integer greater than or equal to 1')
    expect(runDirs(dir)).toEqual([])
  })

  it('--dry-run prints the plan and creates no run', async () => {
    const dir = project({'jobs.yml': 'version: 1\nimage: busybox:1.36\njobs:\n  a:\n    steps: ["true"]\n  b:\n    needs: [a]\n    steps: ["true"]\n'})
    const result = await orca(['run', 'b', '--dry-run'], {cwd: dir})
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^a\s+busybox:1.36\s+-\s+[0-9a-f]{12}\s+miss\s+never cached$/m)
    expect(result.stdout).toMatch(/^b\s+busybox:1.36\s+a\s+[0-9a-f]{12}\s+miss\s+never cached$/m)
    expect(existsSync(join(dir, '.orca/runs'))).toBe(false)
  })
})

describe('cleanup policies through --cleanup (real engine)', () => {
  const cases: Array<[string, {ok: string; bad: string}]> = [
    ['always_remove', {ok: 'removed', bad: 'removed'}],
    ['remove_on_completion', {ok: 'removed', bad: 'kept'}],
    ['keep_on_completion', {ok: 'kept', bad: 'removed'}],
    ['remove_on_timeout', {ok: 'kept', bad: 'kept'}],
    ['never_remove', {ok: 'kept', bad: 'kept'}],
  ]
  it.each(cases)('%s keeps and removes containers as docs/running.md says', async (policy, expected) => {
    const dir = project({
      'jobs.yml': 'version: 1\nimage: busybox:1.36\njobs:\n  ok:\n    steps: ["true"]\n  bad:\n    steps: ["exit 1"]\n',
    })
    const result = await orca(['run', '--cleanup', policy], {cwd: dir})
    expect(result.code).toBe(1)
    const {record} = lastRun(dir)
    for (const name of ['ok', 'bad'] as const) {
      const job = record.jobs[name]!
      expect(job.cleanup).toBe(expected[name])
      const left = (await containersLeft(`orca.run=${record.id}`)).length > 0 ? containers(`orca.job=${name}`) : []
      const present = (ids: string[]): boolean => ids.some((id) => job.containerId?.startsWith(id))
      if (expected[name] === 'kept') expect(present(left)).toBe(true)
      // Podman may still list a container for a moment after answering its removal: removed means gone within seconds, not left.
      else await vi.waitFor(() => expect(present(containers(`orca.job=${name}`))).toBe(false), {timeout: 10_000, interval: 100})
    }
    const kept = containers(`orca.run=${record.id}`)
    if (kept.length > 0) expect(containers('orca.kept=true')).toEqual(expect.arrayContaining(kept))
  })
})

describe('a container the cleanup policy cannot keep (real engine)', () => {
  it('is recorded as cleanup none with a cleanup-failed warning, the job ending as it did', async () => {
    const dir = project({'jobs.yml': 'version: 1\nimage: busybox:1.36\njobs:\n  lost:\n    steps: ["sleep 60"]\n'})
    let removed = false
    const result = await orca(['run', '--cleanup', 'never_remove', '--output', 'plain'], {
      cwd: dir,
      // Removed by someone else while its step runs: there is nothing left to stop, commit and keep.
      onSpawn: () => {
        const poll = setInterval(() => {
          const ids = containers(`orca.job=lost`).filter((id) => {
            try {
              return execFileSync('docker', ['inspect', '--format', '{{.State.Running}} {{index .Config.Labels "orca.project-dir"}}', id], {encoding: 'utf8'}).startsWith(`true ${realpathSync(dir)}`)
            } catch {
              return false
            }
          })
          if (ids.length === 0) return
          clearInterval(poll)
          execFileSync('docker', ['rm', '-f', ...ids], {stdio: 'ignore'})
          removed = true
        }, 200)
        onTestFinished(() => clearInterval(poll))
      },
    })
    expect(removed).toBe(true)
    expect(result.code).not.toBe(0)
    const {record, events} = lastRun(dir)
    const job = record.jobs.lost!
    expect(job.status).toBe('failed')
    const warning = events.find((e) => e.type === 'job.warning' && e.kind === 'cleanup-failed')
    // Podman may end the job while it is still removing the container, and keeping it then succeeds
    // (a twin of the container being removed): there, kept with no warning is right too.
    if (job.cleanup === 'kept' && onPodman()) {
      expect(warning).toBeUndefined()
      return
    }
    expect(job.cleanup).toBe('none')
    expect(warning?.message).toMatch(/^its container could not be kept \(.+\); `orca clean --leaks` removes what is left$/)
    expect(result.stdout + result.stderr).toMatch(/could not be kept/)
  })
})

/** Whether the engine the tests use is Podman's Docker-compatible service. */
function onPodman(): boolean {
  return /podman/i.test(execFileSync('docker', ['version', '--format', '{{range .Server.Components}}{{.Name}} {{end}}'], {encoding: 'utf8'}))
}
