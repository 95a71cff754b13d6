import {existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {GIT_ENV, git} from '../helpers/git.js'
import {containersLeft, NEUTRAL_ENV, orca, readJson, runDirs, projectsPerTest} from './cli.js'

type JobRecord = {
  status: string
  steps: Array<{name: string; status: string; exitCode: number | null}>
  artifacts: {count: number; bytes: number; sha256: string | null} | null
  cleanup: string
}
type RunRecord = {id: string; status: string; jobs: Record<string, JobRecord>}

const project = projectsPerTest()
const traces: string[] = []
afterEach(() => {
  for (const dir of traces.splice(0)) rmSync(dir, {recursive: true, force: true})
})

/** A trace file outside the project (a file written inside it would be one of the jobs' inputs). */
function traceFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'orca-trace-'))
  traces.push(dir)
  return join(dir, 'trace.jsonl')
}

/** The jobs whose container was started ahead of need, from an ORCA_TRACE file. */
function startedAhead(file: string): string[] {
  if (!existsSync(file)) return []
  const records = readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as {job: string; phase: string; early?: true})
  return [...new Set(records.filter((r) => r.early && r.phase === 'create').map((r) => r.job))].sort()
}

type TraceRecord = {job?: string; phase: string; early?: true; at: number; ms: number}

function traceRecords(file: string): TraceRecord[] {
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as TraceRecord)
}

/** Every container orca labelled with this project, whatever its run. */
const projectContainers = async (dir: string): Promise<string[]> => containersLeft(`orca.project-dir=${realpathSync(dir)}`)

function lastRecord(dir: string): RunRecord {
  return readJson<RunRecord>(join(runDirs(dir).at(-1)!, 'run.json'))
}

const CHAIN = `version: 1
image: busybox:1.36
jobs:
  build:
    network: none
    inputs: ["src/**"]
    steps:
      - mkdir -p out && sort src/words.txt > out/sorted.txt && echo built
      - sleep 1
    artifacts: ["out/**"]
    outputs: [count]
  test:
    needs: [build]
    network: none
    inputs: ["tests/**"]
    env: {COUNT: "\${{ needs.build.outputs.count }}"}
    steps: ["cat out/sorted.txt tests/expected.txt > result.txt && ls -ln tests && echo count=$COUNT"]
    artifacts: ["result.txt"]
  report:
    needs: [test]
    network: none
    user: "1000:1000"
    inputs: []
    steps: ["id -u && ls -ln . && wc -l < result.txt > lines.txt && cat lines.txt"]
    artifacts: ["lines.txt"]
`


/** A chain of busybox jobs without network: the first runs `step`, each next one `true` after the one before. */
function chain([first, step]: [string, string], ...next: string[]): string {
  const jobs = [`  ${first}:\n    network: none\n    steps: [${JSON.stringify(step)}]`]
  next.forEach((job, i) => jobs.push(`  ${job}:\n    needs: [${i === 0 ? first : next[i - 1]}]\n    network: none\n    steps: ["true"]`))
  return `version: 1\nimage: busybox:1.36\njobs:\n${jobs.join('\n')}\n`
}

describe('containers started ahead of need (real engine)', () => {
  it('gives a chain the same results, logs and artifacts as the plain path (ORCA_PRESTART=0, ORCA_EXEC_TAR=0, ORCA_AUTO_REMOVE=0, ORCA_FOLD_EXEC=0)', {timeout: 120_000}, async () => {
    const files = {'jobs.yml': CHAIN.replace('echo built', 'echo built && echo count=3 >> $ORCA_OUTPUT'), 'src/words.txt': 'b\na\nc\n', 'tests/expected.txt': 'a\nb\nc\n'}
    const dir = project(files)
    const results: Array<{jobs: Record<string, unknown>; logs: Record<string, string>; artifacts: Record<string, string>; ahead: string[]; trace: TraceRecord[]}> = []
    // The plain path: no container ahead, every transfer through the engine's archive calls in calls of its own, every container removed by orca; the default: all four.
    for (const env of [{ORCA_PRESTART: '0', ORCA_EXEC_TAR: '0', ORCA_AUTO_REMOVE: '0', ORCA_FOLD_EXEC: '0'}, {}]) {
      const trace = traceFile()
      const result = await orca(['run', '--no-cache', '--output', 'plain'], {cwd: dir, env: {...env, ORCA_TRACE: trace}})
      expect(result.code, result.stdout + result.stderr).toBe(0)
      const run = runDirs(dir).at(-1)!
      const record = lastRecord(dir)
      const jobs = Object.fromEntries(
        Object.entries(record.jobs).map(([name, j]) => [name, {status: j.status, steps: j.steps.map((s) => [s.name, s.status, s.exitCode]), artifacts: j.artifacts, cleanup: j.cleanup}]),
      )
      // ls -l's minute of a file made during the run differs when the two runs fall either side of a minute.
      const logs = Object.fromEntries(['build', 'test', 'report'].map((name) => [name, readFileSync(join(run, 'logs', `${name}.log`), 'utf8').replace(/ [A-Z][a-z]{2} +\d+ +\d\d:\d\d /g, ' <date> ')]))
      const artifacts = {
        sorted: readFileSync(join(run, 'artifacts/build/out/sorted.txt'), 'utf8'),
        result: readFileSync(join(run, 'artifacts/test/result.txt'), 'utf8'),
        lines: readFileSync(join(run, 'artifacts/report/lines.txt'), 'utf8'),
      }
      results.push({jobs, logs, artifacts, ahead: startedAhead(trace), trace: traceRecords(trace)})
    }
    const [plain, ahead] = results as [(typeof results)[0], (typeof results)[0]]
    // The comparison is between two paths: the plain one starts nothing ahead, the other both dependents.
    expect(plain.ahead).toEqual([])
    expect(ahead.ahead).toEqual(['report', 'test'])
    expect(ahead.jobs).toEqual(plain.jobs)
    expect(ahead.logs).toEqual(plain.logs)
    expect(ahead.artifacts).toEqual(plain.artifacts)
    expect(ahead.logs.test).toContain('count=3')
    expect(ahead.logs.report).toMatch(/^1000$/m)
    expect(ahead.artifacts.lines?.trim()).toBe('6')
    // The first job's own start does not share the engine with its dependents' early ones: they begin once it has started.
    const buildStart = ahead.trace.find((r) => r.job === 'build' && r.phase === 'start')!
    const earlyCreates = ahead.trace.filter((r) => r.early && r.phase === 'create')
    expect(earlyCreates.map((r) => r.at >= buildStart.at + buildStart.ms)).toEqual([true, true])
    // The trace also times the run's own phases, each once.
    expect(ahead.trace.filter((r) => r.job === undefined).map((r) => r.phase).sort()).toEqual(['boot', 'executor', 'finish', 'jobs', 'open', 'prepare', 'record'])
    expect(await projectContainers(dir)).toEqual([])
  })

  it('removes the early containers of jobs skipped behind a failed need, and leaves no container', {timeout: 120_000}, async () => {
    const dir = project({
      'jobs.yml': chain(['first', 'sleep 3; exit 1'], 'second', 'third'),
    })
    const trace = traceFile()
    const result = await orca(['run', '--output', 'plain'], {cwd: dir, env: {ORCA_TRACE: trace}})
    expect(result.code).toBe(1)
    const record = lastRecord(dir)
    expect([record.jobs.second!.status, record.jobs.third!.status]).toEqual(['skipped', 'skipped'])
    expect(startedAhead(trace)).toEqual(['second', 'third'])
    expect(await projectContainers(dir)).toEqual([])
  })

  it('removes the early containers on Ctrl-C (exit 130), even those still being started', {timeout: 120_000}, async () => {
    const dir = project({
      'jobs.yml': chain(['forever', 'echo started; sleep 120'], 'next', 'last'),
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
    const record = lastRecord(dir)
    expect(record.status).toBe('cancelled')
    expect([record.jobs.next!.status, record.jobs.last!.status]).toEqual(['skipped', 'skipped'])
    expect(await projectContainers(dir)).toEqual([])
  })

  it('removes the early containers of jobs fail-fast skipped, and leaves no container', {timeout: 120_000}, async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  breaks:
    network: none
    steps: ["sleep 3; exit 1"]
  slow:
    network: none
    steps: ["sleep 60"]
  after-slow:
    needs: [slow]
    network: none
    steps: ["true"]
`,
    })
    const trace = traceFile()
    const result = await orca(['run', '--fail-fast', '--output', 'plain'], {cwd: dir, env: {ORCA_TRACE: trace}})
    expect(result.code).toBe(1)
    const record = lastRecord(dir)
    expect(record.jobs.slow!.status).toBe('cancelled')
    expect(record.jobs['after-slow']!.status).toBe('skipped')
    expect(startedAhead(trace)).toEqual(['after-slow'])
    expect(await projectContainers(dir)).toEqual([])
  })

  it('gives a job the inputs as they are when it runs: one changed after its early container was filled is copied again', {timeout: 120_000}, async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  slow:
    network: none
    inputs: []
    steps: ["sleep 8"]
  reads:
    needs: [slow]
    network: none
    inputs: ["data.txt"]
    steps: ["cat data.txt"]
`,
      'data.txt': 'old content\n',
    })
    const trace = traceFile()
    let changedAt: number | undefined
    const result = await orca(['run', '--output', 'plain'], {
      cwd: dir,
      env: {ORCA_TRACE: trace},
      onSpawn: () => {
        // Once the early container holds the old content, the file changes while `slow` still runs.
        const poll = setInterval(() => {
          if (!existsSync(trace) || !readFileSync(trace, 'utf8').includes('"job":"reads","phase":"copy-in","early":true')) return
          clearInterval(poll)
          writeFileSync(join(dir, 'data.txt'), 'new content\n')
          changedAt = Date.now()
        }, 50)
        setTimeout(() => clearInterval(poll), 60_000).unref()
      },
    })
    expect(result.code, result.stdout + result.stderr).toBe(0)
    expect(changedAt, 'the early container was filled while the need ran').toBeDefined()
    const log = readFileSync(join(runDirs(dir).at(-1)!, 'logs/reads.log'), 'utf8')
    expect(log).toContain('new content')
    expect(log).not.toContain('old content')
    expect(await projectContainers(dir)).toEqual([])
  })

  it("gives a job that takes its early container its user's ownership, its git history and the engine's socket", {timeout: 120_000}, async () => {
    // orca-test/user:1 names the users; orca-test/node:20 has git; orca-test/docker-cli:1 a docker client.
    const dir = project({
      'jobs.yml': `version: 1
image: orca-test/user:1
jobs:
  build:
    network: none
    inputs: []
    steps: ["mkdir -p dist && echo built > dist/out.txt && sleep 3"]
    artifacts: ["dist/**"]
  owned:
    needs: [build]
    network: none
    user: builder
    git: true
    inputs: [src.txt]
    steps: ['echo "owner $(stat -c %u:%g dist/out.txt) $(stat -c %u:%g src.txt) $(stat -c %u:%g .git)"']
  history:
    needs: [build]
    image: orca-test/node:20
    network: none
    git: true
    inputs: []
    steps: ['echo "branch $(git rev-parse --abbrev-ref HEAD)"']
  engine:
    needs: [build]
    image: orca-test/docker-cli:1
    docker: true
    inputs: []
    steps: ['test -S /var/run/docker.sock && echo "engine at $DOCKER_HOST"']
`,
      'src.txt': 'source\n',
    })
    git(dir, 'init', '-q')
    git(dir, 'add', '.')
    git(dir, 'commit', '-qm', 'first')
    const trace = traceFile()
    const env = {...NEUTRAL_ENV, GIT_CONFIG_GLOBAL: GIT_ENV.GIT_CONFIG_GLOBAL, GIT_CONFIG_NOSYSTEM: '1', ORCA_TRACE: trace}
    const result = await orca(['run', '--no-cache', '--output', 'plain', '--concurrency', '2'], {cwd: dir, env})
    expect(result.code, result.stdout + result.stderr).toBe(0)
    expect(startedAhead(trace)).toEqual(['engine', 'history', 'owned'])
    expect(result.stdout).toMatch(/^\[owned\] +owner 1001:1001 1001:1001 1001:1001$/m)
    expect(result.stdout).toMatch(/^\[history\] +branch main$/m)
    expect(result.stdout).toMatch(/^\[engine\] +engine at unix:\/\/\/var\/run\/docker\.sock$/m)
    expect(result.stdout).toMatch(/^\[engine\] +! docker: true gives this job the host's Docker engine/m)
    expect(lastRecord(dir).jobs.engine!.status).toBe('succeeded')
    expect(await projectContainers(dir)).toEqual([])
  })

  it('makes a container ahead from the image the run builds for its job, and a failed build fails only that job', {timeout: 120_000}, async () => {
    const dir = project({
      'ci/Dockerfile': 'FROM orca-test/busybox:latest\nCOPY greeting.txt /greeting.txt\n',
      'ci/greeting.txt': 'hello from the built image\n',
      'broken/Dockerfile': 'FROM orca-test/busybox:latest\nRUN exit 7\n',
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  first:
    network: none
    inputs: []
    steps: ["sleep 2 && echo first > first.txt"]
    artifacts: [first.txt]
  built:
    needs: [first]
    image: {build: {context: ci}}
    network: none
    inputs: []
    steps: ["cat /greeting.txt first.txt"]
  unbuildable:
    needs: [first]
    image: {build: {context: broken}}
    network: none
    inputs: []
    steps: ["echo never"]
`,
    })
    const trace = traceFile()
    const result = await orca(['run', '--output', 'plain'], {cwd: dir, env: {ORCA_TRACE: trace}})
    expect(result.code, result.stdout + result.stderr).toBe(1)
    expect(startedAhead(trace)).toContain('built')
    const record = lastRecord(dir)
    expect(record.jobs.built!.status).toBe('succeeded')
    expect(record.jobs.unbuildable!.status).toBe('failed')
    const log = readFileSync(join(runDirs(dir).at(-1)!, 'logs/built.log'), 'utf8')
    expect(log).toContain('hello from the built image')
    expect(log).toContain('first')
    expect(await projectContainers(dir)).toEqual([])
  })
})
