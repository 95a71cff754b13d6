// Fully cached runs: orca vs Turborepo on the same files, interleaved.
//   (a) a 10-job pipeline, everything cached;  (b) one job with 10,000 input files, cached.
// Needs a built CLI (npm run build) and turbo installed OUTSIDE the repo, e.g.
//   mkdir -p /tmp/turbo-bench && cd /tmp/turbo-bench && npm init -y && npm install turbo@2
// then: TURBO_BIN=/tmp/turbo-bench/node_modules/.bin/turbo node bench/cache.mjs [iterations]
// ORCA_BASELINE=<another build>/bin/run.cjs adds that build as a third tool taking its turn in every
// iteration, so a change is measured against the code before it in the same run.
// (c) is (b) outside a git work tree (the walk lists the files; turbo is not run there).
// ORCA_BENCH_CASES=a,c runs only those cases. ORCA_BENCH_NO_INDEX=keys,git adds, for each derived
// record named, orca run with ORCA_NO_INDEX=<it> (neither read nor written) as another tool, so each
// record's gain is measured in the same run. ORCA_BENCH_PASSES=1 measures the environment as is only.
// ORCA_BENCH_MEASURE=instructions counts the CPU instructions of each command under valgrind
// (callgrind) instead of its wall time: the same count whatever else the machine is doing, so two
// builds can be compared on a busy machine (3 iterations are plenty; each takes ~30 s).
// ORCA_BENCH_HISTORY=N first runs orca N times in each project, so the runs folder is as full as a
// user's (retention keeps 100 runs by default) when measuring starts.
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import {performance} from 'node:perf_hooks'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'

const iterations = Number(process.argv[2] ?? 10)
const history = Number(process.env.ORCA_BENCH_HISTORY ?? 0)
const withoutIndexes = process.env.ORCA_BENCH_NO_INDEX ? process.env.ORCA_BENCH_NO_INDEX.split(',') : []
const ORCA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/run.cjs')
const TURBO = process.env.TURBO_BIN ?? '/tmp/turbo-bench/node_modules/.bin/turbo'
const BASELINE = process.env.ORCA_BASELINE ? path.resolve(process.env.ORCA_BASELINE) : undefined
if (!existsSync(TURBO)) {
  console.error(`turbo not found at ${TURBO}; install it outside the repo (see the header of this file) or set TURBO_BIN`)
  process.exit(2)
}
const baseEnv = {...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', NO_COLOR: '1', CI: '1'}
// Node reads NODE_EXTRA_CA_CERTS at start-up, before any script (~85 ms on a machine that sets it to
// the system bundle). Both tools start through node (turbo's npm package is a node launcher), so when
// it is set the bench measures twice: as this environment is, and without it, as on most machines.
const { NODE_EXTRA_CA_CERTS: extraCerts, ...withoutExtraCerts } = baseEnv
const passes = extraCerts === undefined || process.env.ORCA_BENCH_PASSES === '1' ? [{label: 'environment as is', env: baseEnv}] : [
  {label: 'environment as is (NODE_EXTRA_CA_CERTS set)', env: baseEnv},
  {label: 'NODE_EXTRA_CA_CERTS unset', env: withoutExtraCerts},
]

function write(dir, files) {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), {recursive: true})
    writeFileSync(path.join(dir, rel), text)
  }
}

/** A project both tools understand: jobs.yml for orca; package.json + turbo.json for turbo (single-package mode, git-tracked). */
function makeProject(jobs) {
  const dir = mkdtempSync(path.join(tmpdir(), 'orca-cache-bench-'))
  const scripts = Object.fromEntries(jobs.map((j) => [j.name, j.script]))
  const tasks = Object.fromEntries(
    jobs.map((j) => [j.name, {dependsOn: j.needs, inputs: j.inputs, outputs: j.outputs}]),
  )
  write(dir, {
    'package.json': JSON.stringify({name: 'bench', version: '1.0.0', private: true, packageManager: 'npm@10.0.0', scripts}),
    'package-lock.json': JSON.stringify({name: 'bench', lockfileVersion: 3, requires: true, packages: {'': {name: 'bench', version: '1.0.0'}}}),
    'turbo.json': JSON.stringify({$schema: 'https://turbo.build/schema.json', tasks}),
    '.gitignore': '.orca/\n.turbo/\nout/\nnode_modules/\n',
    // As in a project that has run before: creating orca's state folder changes the project folder.
    '.orca/.keep': '',
    'jobs.yml': [
      'version: 1',
      'image: busybox:1.36',
      'jobs:',
      ...jobs.flatMap((j) => [
        `  ${j.name}:`,
        `    inputs: ${JSON.stringify(j.inputs)}`,
        ...(j.needs.length ? [`    needs: ${JSON.stringify(j.needs)}`] : []),
        `    steps: [${JSON.stringify(j.script)}]`,
        `    artifacts: ${JSON.stringify(j.outputs)}`,
        '    network: none',
      ]),
    ].join('\n') + '\n',
  })
  return dir
}

function gitCommit(dir) {
  const git = (...args) => execFileSync('git', ['-c', 'user.email=bench@orca', '-c', 'user.name=bench', '-c', 'gc.auto=0', ...args], {cwd: dir, stdio: 'ignore'})
  git('init', '-q')
  git('add', '-A')
  git('commit', '-qm', 'bench')
}

const countInstructions = process.env.ORCA_BENCH_MEASURE === 'instructions'
const unit = countInstructions ? 'M instr.' : 'ms'

/** Wall time of the command in ms, or (ORCA_BENCH_MEASURE=instructions) its instructions in millions. */
function time(cmd, args, cwd, env, check) {
  const argv = countInstructions ? ['valgrind', '--tool=callgrind', '--callgrind-out-file=/dev/null', cmd, ...args] : [cmd, ...args]
  const start = performance.now()
  const result = spawnSync(argv[0], argv.slice(1), {cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024})
  const ms = performance.now() - start
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`)
  if (check && !check(result.stdout)) throw new Error(`${cmd} ${args.join(' ')} was not fully cached:\n${result.stdout}`)
  if (!countInstructions) return ms
  const collected = /Collected : (\d+)/.exec(result.stderr)
  if (!collected) throw new Error(`valgrind printed no instruction count for ${cmd} ${args.join(' ')}:\n${result.stderr}`)
  return Number(collected[1]) / 1e6
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const min = (xs) => Math.min(...xs)

/** Every pass (environment) and tool takes its turn in each iteration, so none gets a warmer machine. */
function compare(label, dir, orcaArgs, turboArgs, extra = []) {
  // turbo starts its Go binary from a node launcher: callgrind would count only the launcher.
  const withTurbo = turboArgs !== undefined && !countInstructions
  const orcaCached = (out) => !/succeeded in|✓ succeeded/.test(out) || /: \d+ cached; run succeeded/.test(out)
  const turboCached = (out) => /FULL TURBO/.test(out)
  // Warm both caches (and orca's stat index, turbo's daemon-less git hashing).
  time('node', [ORCA, ...orcaArgs], dir, baseEnv)
  time('node', [ORCA, ...orcaArgs], dir, baseEnv, orcaCached)
  if (withTurbo) time(TURBO, turboArgs, dir, baseEnv)
  if (withTurbo) time(TURBO, turboArgs, dir, baseEnv, turboCached)
  // The baseline keeps its own cache: a build of another cache format would miss on this one's
  // entries, and neither build's upkeep of its derived records touches the other's.
  const baselineEnv = (env) => ({...env, ORCA_CACHE_DIR: '.orca/cache-baseline'})
  if (BASELINE) time('node', [BASELINE, ...orcaArgs], dir, baselineEnv(baseEnv))
  if (BASELINE) time('node', [BASELINE, ...orcaArgs], dir, baselineEnv(baseEnv), orcaCached)
  for (let i = 0; i < history; i++) spawnSync('node', [ORCA, ...orcaArgs], {cwd: dir, env: baseEnv, stdio: 'ignore'})
  const tools = [
    ['orca', (env) => time('node', [ORCA, ...orcaArgs], dir, env, orcaCached)],
    ...(withTurbo ? [['turbo', (env) => time(TURBO, turboArgs, dir, env, turboCached)]] : []),
    ...(BASELINE ? [['orca baseline', (env) => time('node', [BASELINE, ...orcaArgs], dir, baselineEnv(env), orcaCached)]] : []),
    ...withoutIndexes.map((kind) => [`orca, ORCA_NO_INDEX=${kind}`, (env) => time('node', [ORCA, ...orcaArgs], dir, {...env, ORCA_NO_INDEX: kind}, orcaCached)]),
  ]
  const samples = passes.map(() => Object.fromEntries([...tools.map(([name]) => [name, []]), ...extra.map((e) => [e.name, []])]))
  for (let i = 0; i < iterations; i++) {
    passes.forEach((pass, p) => {
      // Each iteration starts with the next tool, so none always runs right after the same other one.
      for (let t = 0; t < tools.length; t++) {
        const [name, measure] = tools[(i + t) % tools.length]
        samples[p][name].push(measure(pass.env))
      }
      for (const e of extra) {
        e.before?.()
        samples[p][e.name].push(time('node', [ORCA, ...orcaArgs], dir, pass.env, orcaCached))
      }
    })
  }
  return samples.map((byTool) => ({
    rows: Object.entries(byTool).map(([name, xs]) => `| ${label} | ${name} | ${median(xs).toFixed(0)} ${unit} | ${min(xs).toFixed(0)} ${unit} |`),
    ratio: withTurbo ? median(byTool.orca) / median(byTool.turbo) : undefined,
    baselineRatio: BASELINE ? median(byTool.orca) / median(byTool['orca baseline']) : undefined,
    orca: median(byTool.orca),
    turbo: withTurbo ? median(byTool.turbo) : undefined,
  }))
}

function baselines(env) {
  const node = []
  const version = []
  for (let i = 0; i < iterations; i++) {
    node.push(time('node', ['-e', '0'], tmpdir(), env))
    version.push(time('node', [ORCA, '--version'], tmpdir(), env))
  }
  return {node: median(node), version: median(version)}
}

const cases = (process.env.ORCA_BENCH_CASES ?? 'a,b,c').split(',')

// (a) 10 jobs: a root, eight that need it, one that needs them all.
const ten = Array.from({length: 10}, (_, i) => {
  const name = `t${i + 1}`
  const needs = i === 0 ? [] : i === 9 ? Array.from({length: 8}, (_, k) => `t${k + 2}`) : ['t1']
  return {name, needs, inputs: [`src/${name}/**`], outputs: [`out/${name}.txt`], script: `mkdir -p out && cat src/${name}/* > out/${name}.txt`}
})
const dirA = makeProject(ten)
for (const j of ten) write(dirA, Object.fromEntries(Array.from({length: 5}, (_, k) => [`src/${j.name}/f${k}.txt`, `${j.name} ${k}\n`])))
gitCommit(dirA)

// (b) one job over 10,000 files in 100 folders.
const big = [{name: 'scan', needs: [], inputs: ['src/**'], outputs: ['out/count.txt'], script: 'mkdir -p out && find src -type f | wc -l > out/count.txt'}]
const dirB = makeProject(big)
const files = {}
for (let d = 0; d < 100; d++) for (let f = 0; f < 100; f++) files[`src/d${d}/f${f}.txt`] = `folder ${d} file ${f} ${'x'.repeat(64)}\n`
write(dirB, files)
gitCommit(dirB)
// (c) the same files outside a git work tree: the walk lists them.
const dirC = makeProject(big)
write(dirC, files)
// Files changed in the last two seconds are "racy" (a second write could keep their stat): neither
// orca's stat index nor git's index trusts them yet. Real sources are older than that.
await sleep(2500)

// Deleting every derived record (not the entries) makes the run re-hash every input.
const dropIndexes = (dir) => () => {
  const cache = path.join(dir, '.orca/cache')
  for (const version of existsSync(cache) ? readdirSync(cache) : []) for (const name of ['index', 'stat']) rmSync(path.join(cache, version, name), {recursive: true, force: true})
}
const none = []
const a = cases.includes('a') ? compare('10 jobs', dirA, ['run', '--output', 'plain'], ['run', ...ten.map((j) => j.name), '--output-logs=none']) : none
const b = cases.includes('b') ? compare('10k files', dirB, ['run', '--output', 'plain'], ['run', 'scan', '--output-logs=none'], [
  {name: 'orca, no stat index (re-hash all)', before: dropIndexes(dirB)},
]) : none
const c = cases.includes('c') ? compare('10k files outside git', dirC, ['run', '--output', 'plain'], undefined) : none
console.log(`${iterations} iterations each, passes and tools interleaved; ${countInstructions ? 'CPU instructions (callgrind)' : 'wall time'} of the whole command${history ? `; ${history} runs in each project's history first` : ''}`)
passes.forEach((pass, p) => {
  const base = baselines(pass.env)
  console.log(`\n### ${pass.label}\n`)
  console.log(`baseline: node -e 0 median ${base.node.toFixed(0)} ${unit}; orca --version (oclif) median ${base.version.toFixed(0)} ${unit}\n`)
  console.log('| case | tool | median | min |\n| --- | --- | --- | --- |')
  for (const row of [...(a[p]?.rows ?? []), ...(b[p]?.rows ?? []), ...(c[p]?.rows ?? [])]) console.log(row)
  if (a[p]?.ratio !== undefined) console.log(`\n10 jobs fully cached: orca ${a[p].orca.toFixed(0)} ${unit}${countInstructions ? "" : " (goal ≤ 200 ms)"}, ${a[p].ratio.toFixed(2)}× turbo`)
  if (b[p]?.ratio !== undefined) console.log(`10k files fully cached: orca ${b[p].orca.toFixed(0)} ${unit} vs turbo ${b[p].turbo.toFixed(0)} ${unit}: ${b[p].ratio.toFixed(2)}× (goal ≤ 1.0×)`)
  if (BASELINE) {
    const against = [['10 jobs', a[p]], ['10k files', b[p]], ['10k files outside git', c[p]]].filter(([, r]) => r?.baselineRatio !== undefined)
    console.log(`against the baseline build: ${against.map(([label, r]) => `${label} ${r.baselineRatio.toFixed(2)}×`).join(', ')}`)
  }
})

for (const dir of [dirA, dirB, dirC]) rmSync(dir, {recursive: true, force: true})
