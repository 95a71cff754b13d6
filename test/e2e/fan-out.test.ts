import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {basename, join, relative} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {git} from '../helpers/git.js'
import {startTurboServer, type CacheServer} from '../helpers/remote-cache-servers.js'
import {orca, projectsPerTest, removeProjectResources, removeRunContainers, runDirs, type CliResult} from './cli.js'

const project = projectsPerTest()
// Each clone is a runner's checkout: its containers and volumes are labelled with its own folder.
const clones: string[] = []
const servers: CacheServer[] = []
afterEach(async () => {
  for (const clone of clones.splice(0)) {
    for (const run of runDirs(clone)) removeRunContainers(basename(run))
    removeProjectResources(clone)
  }
  for (const server of servers.splice(0)) await server.stop()
})

// A diamond with a matrix: gen feeds two shards and a lint, which all feed the report.
// gen's noise is random, so a job that ran again instead of being restored would show.
const JOBS = `version: 1
image: busybox:1.36
jobs:
  gen:
    inputs: ["src/**"]
    steps:
      - mkdir -p out && sort src/words.txt > out/sorted.txt
      - head -c 32 /dev/urandom | od -An -x > out/noise.txt
    artifacts: ["out/**"]
  shard:
    needs: [gen]
    matrix: {part: ["1", "2"]}
    inputs: []
    steps: ["mkdir -p s && sed -n '\${{ matrix.part }}p' out/sorted.txt > s/part-\${{ matrix.part }}.txt"]
    artifacts: ["s/**"]
  lint:
    inputs: ["src/**"]
    steps: ["mkdir -p l && wc -w < src/words.txt > l/words.txt"]
    artifacts: ["l/**"]
  report:
    needs: [gen, shard, lint]
    inputs: []
    steps: ["mkdir -p r && cat s/part-1.txt s/part-2.txt l/words.txt > r/report.txt && cp out/noise.txt r/noise.txt"]
    artifacts: ["r/**"]
`

type Workflow = {jobs: Record<string, {name: string; needs?: string[]; steps: Array<{run?: string}>}>}

/** Every file under `dir` with its sha256, by path relative to it. */
function digests(dir: string): Record<string, string> {
  const found: Record<string, string> = {}
  const walk = (at: string): void => {
    for (const name of readdirSync(at)) {
      const path = join(at, name)
      if (statSync(path).isDirectory()) walk(path)
      else found[relative(dir, path)] = createHash('sha256').update(readFileSync(path)).digest('hex')
    }
  }
  walk(dir)
  return found
}

function clone(source: string, into: string): string {
  git(into, 'clone', '-q', source, 'repo')
  const dir = join(into, 'repo')
  clones.push(dir)
  return dir
}

const succeeded = (result: CliResult): CliResult => {
  expect(result.stderr).not.toContain('    at ')
  expect(result.code, result.stdout + result.stderr).toBe(0)
  return result
}

describe('fan-out: the generated CI jobs, each in its own clone, sharing only the remote cache (real engine)', () => {
  it('run in dependency order and end with artifacts byte-identical to one orca run', async () => {
    const source = project({'jobs.yml': JOBS, 'src/words.txt': 'pear\napple\nfig\n', '.gitignore': '.orca/\n'})
    git(source, 'init', '-q')
    git(source, 'add', '-A')
    git(source, 'commit', '-qm', 'pipeline')

    // What a user would commit: the workflow orca generates.
    const workflow = parse(succeeded(await orca(['ci', 'github', '-o', '-'], {cwd: source})).stdout) as Workflow
    const ciJobs = Object.values(workflow.jobs)
    expect(ciJobs.map((j) => [j.name, j.needs ?? []])).toEqual([
      ['gen', []],
      ['shard-part1', ['gen']],
      ['shard-part2', ['gen']],
      ['lint', []],
      ['report', ['gen', 'shard-part1', 'shard-part2', 'lint']],
    ])

    // The one thing the runners share: a Turborepo remote cache server. Each clone keeps its own
    // local cache (.orca/cache inside it), empty when its job starts, as on a fresh CI runner.
    const remote = await startTurboServer()
    servers.push(remote)
    const runners = project({})
    const cloneOf = new Map<string, string>()
    const done = new Set<string>()
    // As a CI schedules them: every job whose needs are done starts, side by side, each on a fresh checkout.
    while (done.size < ciJobs.length) {
      const ready = ciJobs.filter((j) => !done.has(j.name) && (j.needs ?? []).every((n) => done.has(n)))
      await Promise.all(
        ready.map(async (job) => {
          const runner = join(runners, job.name)
          mkdirSync(runner)
          const dir = clone(source, runner)
          cloneOf.set(job.name, dir)
          const command = job.steps.find((s) => s.run?.startsWith('orca run '))!.run!.split(' ').slice(1)
          succeeded(await orca([...command, '--output', 'plain'], {cwd: dir, env: remote.env}))
        }),
      )
      for (const job of ready) done.add(job.name)
    }

    // Each runner ran its own job only; what it needed came from the remote cache.
    const record = (job: string): {jobs: Record<string, {status: string; remoteCache?: {lookup?: {result: string}}}>} => JSON.parse(readFileSync(join(runDirs(cloneOf.get(job)!).at(-1)!, 'run.json'), 'utf8'))
    const statuses = (job: string): Record<string, string> => Object.fromEntries(Object.entries(record(job).jobs).map(([name, j]) => [name, j.status]))
    expect(statuses('report')).toEqual({gen: 'cached', 'shard-part1': 'cached', 'shard-part2': 'cached', lint: 'cached', report: 'succeeded'})
    expect(statuses('shard-part2')).toEqual({gen: 'cached', 'shard-part2': 'succeeded'})
    const lookups = (job: string): Record<string, string | undefined> => Object.fromEntries(Object.entries(record(job).jobs).map(([name, j]) => [name, j.remoteCache?.lookup?.result]))
    expect(lookups('report')).toEqual({gen: 'hit', 'shard-part1': 'hit', 'shard-part2': 'hit', lint: 'hit', report: 'miss'})
    for (const job of ['gen', 'shard-part1', 'report']) expect(existsSync(join(cloneOf.get(job)!, '.orca/cache')), job).toBe(true)
    const genArtifacts = join(runDirs(cloneOf.get('gen')!).at(-1)!, 'artifacts/gen')
    const reportArtifacts = join(runDirs(cloneOf.get('report')!).at(-1)!, 'artifacts/report')
    // The noise gen made on its runner is the noise report saw: restored, never made again.
    expect(readFileSync(join(reportArtifacts, 'r/noise.txt'), 'utf8')).toBe(readFileSync(join(genArtifacts, 'out/noise.txt'), 'utf8'))

    // One orca run in another clone with its own cache and no remote: the same report, byte for byte (noise aside).
    const single = project({})
    const whole = clone(source, single)
    succeeded(await orca(['run', '--output', 'plain'], {cwd: whole}))
    const wholeArtifacts = join(runDirs(whole).at(-1)!, 'artifacts/report')
    const {['r/noise.txt']: fannedNoise, ...fanned} = digests(reportArtifacts)
    const {['r/noise.txt']: wholeNoise, ...together} = digests(wholeArtifacts)
    expect(fanned).toEqual(together)
    expect(Object.keys(fanned).sort()).toEqual(['r/report.txt'])
    expect(fannedNoise).toBeDefined()
    expect(wholeNoise).toBeDefined()
    expect(readFileSync(join(wholeArtifacts, 'r/report.txt'), 'utf8')).toBe('apple\nfig\n3\n')
  })
})
