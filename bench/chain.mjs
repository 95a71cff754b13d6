// Chains and diamonds: a 4-job chain and a 10-job diamond of one-step jobs passing small artifacts,
// run in turn, each iteration, by:
//   orca (containers started ahead of need, transfers through the containers' tar, finished containers
//     ended by a signal and removed by the engine, steps and transfers through the main process's stdin),
//   orca with ORCA_ATTACH=0 (one exec per job: the step's, with the needs' artifacts and the collection in it),
//   orca with ORCA_AUTO_REMOVE=0 (every finished container removed by orca, the last one awaited),
//   orca with ORCA_PRESTART=0 ORCA_EXEC_TAR=0 ORCA_AUTO_REMOVE=0 ORCA_FOLD_EXEC=0 ORCA_ATTACH=0 (the plain path, the baseline),
//   N sequential `docker run --rm` of the same image (the CLI floor),
//   N sequential create/start/wait/remove through the Engine API (the API floor),
//   gitlab-ci-local 4.70.0 on the same pipeline (.gitlab-ci.yml).
// Then traced runs of each orca path (ORCA_TRACE) print where the time goes, phase by phase: the jobs'
// phases summed over the jobs, and the run's own (`run: ...`: the process's spawn and boot, reading and
// planning, opening the run, reaching the engine, the jobs, the end, the process's exit).
// Prints medians, the ratios the goals are stated in and whether each goal is met (docs/performance.md),
// with the load average before and after.
//
// Needs: a built CLI (npm run build), busybox:1.36 (scripts/test-images.sh), and for gitlab-ci-local
// rsync and bash on the host and gitlab-ci-local installed OUTSIDE the repo:
//   mkdir -p /tmp/gcl && cd /tmp/gcl && npm init -y && npm install gitlab-ci-local@4.70.0
// then: node bench/chain.mjs [iterations]   (GITLAB_CI_LOCAL=none leaves gitlab-ci-local out;
// ORCA_BIN=<another build>/bin/run.cjs measures another build; BASELINE_BIN=<another build>/bin/run.cjs adds
// that build (default settings) as one more contender, interleaved; CHAIN_CONCURRENCY=N passes -j N to orca;
// CHAIN_SHAPES=chain measures the chain alone)
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {loadavg, tmpdir} from 'node:os'
import * as path from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'

import Docker from 'dockerode'

import {ensureHelperImage, GCL, gclEnv, HELPER, requireGcl, useGcl} from './lib/gitlab-ci-local.mjs'
import {median, time} from './lib/stats.mjs'

const iterations = Number(process.argv[2] ?? 5)
const ORCA = process.env.ORCA_BIN ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/run.cjs')
const BASELINE = process.env.BASELINE_BIN ? path.resolve(process.env.BASELINE_BIN) : undefined
const concurrency = process.env.CHAIN_CONCURRENCY ? ['-j', process.env.CHAIN_CONCURRENCY] : []
const IMAGE = 'busybox:1.36'
/** The path before containers were started ahead of need, transfers went through tar and the engine removed containers. */
const PLAIN = {ORCA_PRESTART: '0', ORCA_EXEC_TAR: '0', ORCA_AUTO_REMOVE: '0', ORCA_FOLD_EXEC: '0', ORCA_ATTACH: '0'}
const ORCA_REMOVES = {ORCA_AUTO_REMOVE: '0'}
const ONE_EXEC = {ORCA_ATTACH: '0'}
requireGcl()
const docker = new Docker()
const made = []

/** A job: its needs, and one step that reads their artifacts and writes its own. */
function jobsOf(shape) {
  if (shape === 'chain') return [1, 2, 3, 4].map((i) => ({name: `j${i}`, needs: i === 1 ? [] : [`j${i - 1}`]}))
  const middle = Array.from({length: 8}, (_, i) => ({name: `m${i + 1}`, needs: ['root']}))
  return [{name: 'root', needs: []}, ...middle, {name: 'sink', needs: middle.map((m) => m.name)}]
}

const stepOf = (job) => `${job.needs.map((n) => `cat ${n}.txt >> ${job.name}.txt; `).join('')}echo ${job.name} >> ${job.name}.txt`

function makeProject(shape) {
  const dir = mkdtempSync(path.join(tmpdir(), `orca-chain-bench-${shape}-`))
  made.push(dir)
  const jobs = jobsOf(shape)
  const orcaJobs = jobs.map(
    (job) =>
      `  ${job.name}:\n    network: none\n    inputs: []\n` +
      (job.needs.length ? `    needs: [${job.needs.join(', ')}]\n` : '') +
      `    steps: [${JSON.stringify(stepOf(job))}]\n    artifacts: ["${job.name}.txt"]\n`,
  )
  writeFileSync(path.join(dir, 'jobs.yml'), `version: 1\nimage: ${IMAGE}\njobs:\n${orcaJobs.join('')}`)
  const gclJobs = jobs.map(
    (job) =>
      `${job.name}:\n  image: ${IMAGE}\n  needs: [${job.needs.join(', ')}]\n  script: [${JSON.stringify(stepOf(job))}]\n  artifacts:\n    paths: [${job.name}.txt]\n`,
  )
  writeFileSync(path.join(dir, '.gitlab-ci.yml'), gclJobs.join(''))
  writeFileSync(path.join(dir, '.gitignore'), '.orca/\n.gitlab-ci-local/\n*.txt\n')
  const git = (...args) => execFileSync('git', ['-c', 'user.email=bench@orca', '-c', 'user.name=bench', ...args], {cwd: dir, stdio: 'ignore'})
  git('init', '-q')
  git('add', '-A')
  git('commit', '-qm', 'bench')
  return {dir, jobs}
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, {cwd: options.cwd, env: {...gclEnv, ...options.env}, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024})
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${result.status}):\n${result.stdout?.slice(-2000)}\n${result.stderr?.slice(-2000)}`)
  return result.stdout
}

/** One orca run of every job (no cache), checking the last job got every artifact along the way. */
function orca(project, env = {}, bin = ORCA) {
  rmSync(path.join(project.dir, '.orca'), {recursive: true, force: true})
  const out = run(process.execPath, [bin, 'run', '--no-cache', '--output', 'plain', ...concurrency], {cwd: project.dir, env})
  const last = project.jobs.at(-1).name
  if (!out.includes(`${project.jobs.length} succeeded`)) throw new Error(`orca did not run every job:\n${out}`)
  const artifact = readFileSync(path.join(project.dir, '.orca/runs', readdirLatest(project.dir), 'artifacts', last, `${last}.txt`), 'utf8')
  if (!artifact.includes(project.jobs[0].name)) throw new Error(`the last job's artifact lacks the first job's line:\n${artifact}`)
}

function readdirLatest(dir) {
  return run('ls', [path.join(dir, '.orca/runs')]).trim().split('\n').filter((d) => /^\d/.test(d)).sort().at(-1)
}

/** The CLI floor: the jobs' count of `docker run --rm`, one after another. */
function dockerRuns(project) {
  for (const _ of project.jobs) run('docker', ['run', '--rm', '--network', 'none', IMAGE, 'true'])
}

/** The API floor: the jobs' count of create/start/wait/remove through the Engine API, one after another. */
async function apiLifecycles(project) {
  for (const _ of project.jobs) {
    const container = await docker.createContainer({Image: IMAGE, Cmd: ['true'], HostConfig: {NetworkMode: 'none'}})
    await container.start()
    await container.wait()
    await container.remove({force: true})
  }
}

function gitlabCiLocal(project) {
  rmSync(path.join(project.dir, '.gitlab-ci-local'), {recursive: true, force: true})
  run(GCL, ['--helper-image', HELPER], {cwd: project.dir})
}

/** Per phase, the median over traced runs of its time summed over the run's jobs (ahead of need apart). */
function traced(project, env, runs) {
  const sums = []
  for (let i = 0; i < runs; i++) {
    const file = path.join(tmpdir(), `orca-chain-trace-${process.pid}-${Object.keys(env).join('-')}-${i}.jsonl`)
    rmSync(file, {force: true})
    const spawnedAt = Date.now()
    const start = performance.now()
    orca(project, {...env, ORCA_TRACE: file})
    const sum = {run: performance.now() - start}
    const exitedAt = Date.now()
    for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
      const record = JSON.parse(line)
      // Phases of the run itself (no job) apart from the jobs' phases summed over the jobs.
      const phase = record.job === undefined ? `run: ${record.phase}` : `${record.phase.startsWith('step') ? 'steps' : record.phase}${record.early ? ' (ahead)' : ''}`
      sum[phase] = (sum[phase] ?? 0) + record.ms
      // The process's own start (exec, node) before its first line, and its end after the run's record.
      if (record.phase === 'boot') sum['run: spawn'] = record.at - spawnedAt
      if (record.phase === 'record') sum['run: exit'] = exitedAt - (record.at + record.ms)
    }
    rmSync(file, {force: true})
    sums.push(sum)
  }
  const phases = [...new Set(sums.flatMap((s) => Object.keys(s)))]
  return Object.fromEntries(phases.map((p) => [p, median(sums.map((s) => s[p] ?? 0))]))
}

const ms = (x) => `${Math.round(x)} ms`
const ratio = (a, b) => `${(a / b).toFixed(2)}×`

try {
  if (useGcl) ensureHelperImage(IMAGE)
  for (const shape of (process.env.CHAIN_SHAPES ?? 'chain,diamond').split(',')) {
    const project = makeProject(shape)
    const samples = {orca: [], oneExec: [], orcaRemoves: [], plain: [], baseline: [], dockerRun: [], api: [], gcl: []}
    const loadBefore = loadavg()[0]
    // Warm-up: the first run of a process pays for disk caches.
    orca(project)
    for (let i = 0; i < iterations; i++) {
      // Interleaved, so load on the machine falls on every contender alike.
      samples.orca.push(await time(async () => orca(project)))
      samples.oneExec.push(await time(async () => orca(project, ONE_EXEC)))
      samples.orcaRemoves.push(await time(async () => orca(project, ORCA_REMOVES)))
      samples.plain.push(await time(async () => orca(project, PLAIN)))
      if (BASELINE) samples.baseline.push(await time(async () => orca(project, {}, BASELINE)))
      samples.dockerRun.push(await time(async () => dockerRuns(project)))
      samples.api.push(await time(async () => apiLifecycles(project)))
      if (useGcl) samples.gcl.push(await time(async () => gitlabCiLocal(project)))
      console.error(`${shape}: iteration ${i + 1}/${iterations} done`)
    }
    const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.length ? median(v) : NaN]))
    for (const [k, v] of Object.entries(samples)) if (v.length) console.log(`  ${k.padEnd(10)} ${v.map((x) => Math.round(x)).join(' ')}`)
    const n = project.jobs.length
    console.log(`\n${shape} (${n} jobs), ${iterations} iterations, medians; load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after:`)
    console.log(`  orca                        ${ms(m.orca)}   ÷ plain path ${ratio(m.orca, m.plain)}`)
    console.log(`  orca, ORCA_ATTACH=0         ${ms(m.oneExec)}   orca ÷ = ${ratio(m.orca, m.oneExec)}`)
    console.log(`  orca, ORCA_AUTO_REMOVE=0    ${ms(m.orcaRemoves)}   orca ÷ = ${ratio(m.orca, m.orcaRemoves)}`)
    console.log(`  orca, plain path            ${ms(m.plain)}`)
    if (BASELINE) console.log(`  BASELINE_BIN                ${ms(m.baseline)}   orca ÷ = ${ratio(m.orca, m.baseline)}`)
    console.log(`  ${n} × docker run --rm        ${ms(m.dockerRun)}   orca ÷ = ${ratio(m.orca, m.dockerRun)} (ORCA_ATTACH=0 ${ratio(m.oneExec, m.dockerRun)}, ORCA_AUTO_REMOVE=0 ${ratio(m.orcaRemoves, m.dockerRun)}, plain ${ratio(m.plain, m.dockerRun)})`)
    console.log(`  ${n} × API lifecycle          ${ms(m.api)} (${ms(m.api / n)} each)   orca ÷ = ${ratio(m.orca, m.api)} (ORCA_ATTACH=0 ${ratio(m.oneExec, m.api)}, ORCA_AUTO_REMOVE=0 ${ratio(m.orcaRemoves, m.api)}, plain ${ratio(m.plain, m.api)})`)
    if (useGcl) console.log(`  gitlab-ci-local             ${ms(m.gcl)}   orca ÷ = ${ratio(m.orca, m.gcl)}`)
    // The goals of docs/performance.md: a chain within 1.1× the docker run floor and 1.5× the API floor, a diamond within the API floor.
    const goals = shape === 'chain' ? [['docker run --rm floor', m.dockerRun, 1.1], ['API floor', m.api, 1.5]] : [['API floor', m.api, 1]]
    for (const [floor, value, bound] of goals) console.log(`  GOAL ${m.orca <= value * bound ? 'MET    ' : 'NOT MET'} ${shape} ≤ ${bound}× the ${floor}: ${ratio(m.orca, value)} (ORCA_ATTACH=0: ${ratio(m.oneExec, value)})`)
    const runs = Math.max(3, Math.ceil(iterations / 2))
    const [ahead, archive, plain] = [traced(project, {}, runs), traced(project, ONE_EXEC, runs), traced(project, PLAIN, runs)]
    // Folded or attached, copy-needs lies inside the first step: it is counted in `steps` too.
    console.log(`\n  where the time goes (ORCA_TRACE, ms summed over the jobs, median of ${runs} runs):`)
    console.log(`  ${'phase'.padEnd(22)} ${'orca'.padStart(10)} ${'ORCA_ATTACH=0'.padStart(16)} ${'plain path'.padStart(11)}`)
    for (const phase of [...new Set([...Object.keys(plain), ...Object.keys(archive), ...Object.keys(ahead)])]) {
      const cell = (sums, width) => String(Math.round(sums[phase] ?? 0)).padStart(width)
      console.log(`  ${phase.padEnd(22)} ${cell(ahead, 10)} ${cell(archive, 16)} ${cell(plain, 11)}`)
    }
    console.log('')
  }
} finally {
  // Containers are removed by orca, gitlab-ci-local, `docker run --rm` and the API loop themselves; the projects go here.
  for (const dir of made) rmSync(dir, {recursive: true, force: true})
}
