// orca against turbo through the same remote cache server (turborepo-remote-cache on loopback), local
// caches empty before every timed run, as on a fresh CI runner:
//   (a) 10 jobs restored from the remote, (b) one job whose 10,000 output files are restored;
// and orca's transfer of a 200 MB artifact set (20 files of 10 MB) against a plain PUT and GET of the
// same bytes with the same client (orca's node:http client) to the same server.
// Needs a built CLI (npm run build), a Docker engine (the first run of each project fills the remote)
// and turbo installed outside the repo (see bench/cache.mjs):
//   TURBO_BIN=/tmp/turbo-bench/node_modules/.bin/turbo node bench/remote.mjs [iterations]
// ORCA_BEFORE=<another build's bin/run.js> adds a column for it (e.g. main's, to measure a change),
// timed in the same runs; ORCA_BENCH_CASES=a,b,c picks the cases; ORCA_NODE=<a node binary> runs
// orca on that Node.js (default: the one running this script); ORCA_BENCH_KEEP=1 keeps the projects
// and prints their folders (to profile a run by hand; the remote server stops with the script).
import {execFileSync, spawnSync} from 'node:child_process'
import {Buffer} from 'node:buffer'
import {randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {loadavg, tmpdir} from 'node:os'
import path from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'

import {median} from './lib/stats.mjs'
import {startTurboServer, TOKEN} from './lib/turbo-server.mjs'

const iterations = Number(process.argv[2] ?? 5)
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const ORCA = path.join(ROOT, 'bin/run.js')
const BEFORE = process.env.ORCA_BEFORE
const TURBO = process.env.TURBO_BIN ?? '/tmp/turbo-bench/node_modules/.bin/turbo'
if (!existsSync(TURBO)) {
  console.error(`turbo not found at ${TURBO}; install it outside the repo (see bench/cache.mjs) or set TURBO_BIN`)
  process.exit(2)
}
const NODE = process.env.ORCA_NODE ?? process.execPath
const KEEP = process.env.ORCA_BENCH_KEEP === '1'
const TEAM = 'bench'
const server = await startTurboServer()
const temps = []
const baseEnv = {...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', NO_COLOR: '1', CI: '1'}
const orcaEnv = {...baseEnv, ORCA_REMOTE_CACHE_URL: server.url, ORCA_REMOTE_CACHE_TOKEN: TOKEN, ORCA_REMOTE_CACHE_TEAM: TEAM}
const turboRemote = [`--api=${server.url}`, `--token=${TOKEN}`, `--team=${TEAM}`, '--output-logs=none']

function write(dir, files) {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), {recursive: true})
    writeFileSync(path.join(dir, rel), text)
  }
}

/** A project both tools understand (as in bench/cache.mjs), committed to git for turbo's hashing. */
function makeProject(jobs, files) {
  const dir = mkdtempSync(path.join(tmpdir(), 'orca-remote-bench-'))
  if (KEEP) console.log(`project kept: ${dir}`)
  else temps.push(dir)
  write(dir, {
    ...files,
    'package.json': JSON.stringify({name: 'bench', version: '1.0.0', private: true, packageManager: 'npm@10.0.0', scripts: Object.fromEntries(jobs.map((j) => [j.name, j.script]))}),
    'package-lock.json': JSON.stringify({name: 'bench', lockfileVersion: 3, requires: true, packages: {'': {name: 'bench', version: '1.0.0'}}}),
    'turbo.json': JSON.stringify({$schema: 'https://turbo.build/schema.json', tasks: Object.fromEntries(jobs.map((j) => [j.name, {dependsOn: j.needs, inputs: j.inputs, outputs: j.outputs}]))}),
    '.gitignore': '.orca/\n.turbo/\nout/\nnode_modules/\n',
    'jobs.yml': ['version: 1', 'image: busybox:1.36', 'jobs:', ...jobs.flatMap((j) => [
      `  ${j.name}:`, `    inputs: ${JSON.stringify(j.inputs)}`, ...(j.needs.length ? [`    needs: ${JSON.stringify(j.needs)}`] : []),
      `    steps: [${JSON.stringify(j.script)}]`, `    artifacts: ${JSON.stringify(j.outputs)}`, '    network: none',
    ])].join('\n') + '\n',
  })
  const git = (...args) => execFileSync('git', ['-c', 'user.email=bench@orca', '-c', 'user.name=bench', ...args], {cwd: dir, stdio: 'ignore'})
  git('init', '-q')
  git('add', '-A')
  git('commit', '-qm', 'bench')
  return dir
}

function run(cmd, args, cwd, env, check) {
  const start = performance.now()
  const result = spawnSync(cmd, args, {cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024})
  const ms = performance.now() - start
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`)
  if (check && !check(result.stdout)) throw new Error(`${cmd} ${args.join(' ')} was not restored from the remote:\n${result.stdout.slice(-3000)}`)
  return ms
}

/** Local caches and outputs gone: what a fresh runner has. */
function forgetLocally(dir) {
  for (const rel of ['.orca', '.turbo', 'out', 'node_modules/.cache']) rmSync(path.join(dir, rel), {recursive: true, force: true})
}

const orcaFromRemote = (jobs) => (out) => new RegExp(`remote cache: ${jobs} hits?`).test(out)
const turboFromRemote = (out) => /FULL TURBO/.test(out)

function compare(label, dir, jobs, turboTasks) {
  // Fill the remote once with each tool (orca runs the containers here; an older build uploads its own way).
  run(NODE, [ORCA, 'run', '--output', 'plain'], dir, orcaEnv)
  if (BEFORE) {
    forgetLocally(dir)
    run(NODE, [BEFORE, 'run', '--output', 'plain'], dir, orcaEnv)
  }
  run(TURBO, ['run', ...turboTasks, ...turboRemote], dir, baseEnv)
  const samples = {orca: [], before: [], turbo: []}
  for (let i = 0; i < iterations; i++) {
    // Interleaved, so no tool gets a warmer machine.
    forgetLocally(dir)
    samples.orca.push(run(NODE, [ORCA, 'run', '--output', 'plain'], dir, orcaEnv, orcaFromRemote(jobs)))
    if (BEFORE) {
      forgetLocally(dir)
      samples.before.push(run(NODE, [BEFORE, 'run', '--output', 'plain'], dir, orcaEnv, orcaFromRemote(jobs)))
    }
    forgetLocally(dir)
    samples.turbo.push(run(TURBO, ['run', ...turboTasks, ...turboRemote], dir, baseEnv, turboFromRemote))
  }
  const orca = median(samples.orca)
  const turbo = median(samples.turbo)
  const before = BEFORE ? ` ${median(samples.before).toFixed(0)} ms | ${(median(samples.before) / turbo).toFixed(2)}× |` : ''
  console.log(`| ${label} | ${orca.toFixed(0)} ms | ${turbo.toFixed(0)} ms | ${(orca / turbo).toFixed(2)}× | ${verdict(orca <= turbo)} |${before}`)
}

/** orca's engine (dist/) moving a 200 MB entry, against plain PUTs and GETs of the same blobs. */
async function throughput() {
  const {CacheStore} = await import(path.join(ROOT, 'dist/engine/cache/store.js'))
  const {RemoteCache} = await import(path.join(ROOT, 'dist/engine/cache/remote/remote-cache.js'))
  const {turboBackend} = await import(path.join(ROOT, 'dist/engine/cache/remote/turbo.js'))
  const {httpClient} = await import(path.join(ROOT, 'dist/engine/cache/remote/http-request.js'))
  const backend = turboBackend({url: server.url, token: TOKEN, team: TEAM})
  const remoteOf = (store) => new RemoteCache(store, {backend, namespace: 'bench', readOnly: false, policy: {timeoutMs: 30_000, retries: 0, backoffMs: 200}, concurrency: 16})
  const up = []
  const down = []
  const plainUp = []
  const plainDown = []
  for (let i = 0; i < iterations; i++) {
    const dir = mkdtempSync(path.join(tmpdir(), 'orca-remote-bench-'))
    temps.push(dir)
    const writer = new CacheStore(path.join(dir, 'a'))
    const files = Array.from({length: 20}, () => randomBytes(10 * 1024 * 1024))
    const artifacts = files.map((bytes, n) => ({path: `f${String(n).padStart(2, '0')}.bin`, type: 'file', mode: 0o644, ...writer.blobs.putBytes(bytes)}))
    // A key of its own each time: every iteration moves every byte.
    const key = randomBytes(32).toString('hex')
    writer.publish({key, job: 'big', projectDir: dir, runId: 'bench', manifest: {bench: key}, artifacts, output: []})
    const headers = {authorization: `Bearer ${TOKEN}`}
    const plainUrl = (n) => `${server.url}/v8/artifacts/plain-${i}-${n}?teamId=${TEAM}`
    // The client orca's Turborepo backend uses (node:http, one keep-alive agent), for the plain transfers.
    const client = httpClient()
    const send = async (url, options) => {
      const chunks = []
      for await (const chunk of await client.request(url, {signal: new globalThis.AbortController().signal, ...options})) chunks.push(chunk)
      return Buffer.concat(chunks)
    }
    // Plain: the same 200 MB, 16 requests at a time as orca's pool, with the same client.
    const pool = async (task) => {
      let next = 0
      await Promise.all(Array.from({length: 16}, async () => {
        while (next < files.length) await task(next++)
      }))
    }
    plainUp.push(await timed(() => pool((n) => send(plainUrl(n), {method: 'PUT', headers: {...headers, 'content-type': 'application/octet-stream'}, body: files[n]}))))
    plainDown.push(await timed(() => pool((n) => send(plainUrl(n), {method: 'GET', headers}))))
    client.close()
    up.push(await timed(async () => {
      const result = await remoteOf(writer).push(key)
      if (result.result !== 'uploaded') throw new Error(JSON.stringify(result))
    }))
    down.push(await timed(async () => {
      const found = await remoteOf(new CacheStore(path.join(dir, 'b'))).lookup(key)
      if (found.result !== 'hit') throw new Error(JSON.stringify(found))
    }))
    rmSync(dir, {recursive: true, force: true})
  }
  const mbps = (ms) => (200 / (ms / 1000)).toFixed(0)
  console.log(`\n200 MB (20 × 10 MB), median of ${iterations}:\n`)
  console.log('| transfer | orca | plain PUT/GET | orca / plain throughput |\n| --- | --- | --- | --- |')
  const ratio = (plain, ours) => `${(plain / ours).toFixed(2)}× (goal ≥ 0.8×: ${verdict(plain / ours >= 0.8)})`
  console.log(`| upload | ${median(up).toFixed(0)} ms (${mbps(median(up))} MB/s) | ${median(plainUp).toFixed(0)} ms (${mbps(median(plainUp))} MB/s) | ${ratio(median(plainUp), median(up))} |`)
  console.log(`| download | ${median(down).toFixed(0)} ms (${mbps(median(down))} MB/s) | ${median(plainDown).toFixed(0)} ms (${mbps(median(plainDown))} MB/s) | ${ratio(median(plainDown), median(down))} |`)
}

async function timed(fn) {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

try {
  const cases = (process.env.ORCA_BENCH_CASES ?? 'a,b,c').split(',')
  console.log(`orca (Node.js ${spawnSync(NODE, ['--version'], {encoding: 'utf8'}).stdout.trim()}) and turbo ${turboVersion()} through one turborepo-remote-cache on loopback; local caches emptied before each run; median of ${iterations}; load average ${loadavg().map((n) => n.toFixed(1)).join(' ')}\n`)
  console.log(BEFORE ? '| case | orca | turbo | orca / turbo | goal orca ≤ turbo | before | before / turbo |\n| --- | --- | --- | --- | --- | --- | --- |' : '| case | orca | turbo | orca / turbo | goal orca ≤ turbo |\n| --- | --- | --- | --- | --- |')
  if (cases.includes('a')) {
    const ten = Array.from({length: 10}, (_, i) => {
      const name = `t${i + 1}`
      const needs = i === 0 ? [] : i === 9 ? Array.from({length: 8}, (_, k) => `t${k + 2}`) : ['t1']
      return {name, needs, inputs: [`src/${name}/**`], outputs: [`out/${name}.txt`], script: `mkdir -p out && cat src/${name}/* > out/${name}.txt`}
    })
    const files = Object.fromEntries(ten.flatMap((j) => Array.from({length: 5}, (_, k) => [`src/${j.name}/f${k}.txt`, `${j.name} ${k}\n`])))
    compare('10 jobs from the remote', makeProject(ten, files), 10, ten.map((j) => j.name))
  }
  if (cases.includes('b')) {
    const many = [{name: 'gen', needs: [], inputs: ['src/**'], outputs: ['out/**'], script: 'mkdir -p out && for d in $(seq 0 99); do mkdir -p out/d$d && for f in $(seq 0 99); do echo "folder $d file $f" > out/d$d/f$f.txt; done; done'}]
    compare('one job, 10,000 output files from the remote', makeProject(many, {'src/seed.txt': 'seed\n'}), 1, ['gen'])
  }
  if (cases.includes('c')) await throughput()
  console.log(`\nload average at the end: ${loadavg().map((n) => n.toFixed(1)).join(' ')}`)
} finally {
  await server.stop()
  for (const dir of temps) rmSync(dir, {recursive: true, force: true})
}

function verdict(met) {
  return met ? 'met' : 'NOT met'
}

function turboVersion() {
  return spawnSync(TURBO, ['--version'], {encoding: 'utf8'}).stdout.trim()
}
