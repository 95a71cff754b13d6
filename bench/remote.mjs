// orca against turbo through the same remote cache server (turborepo-remote-cache on loopback), local
// caches empty before every timed run, as on a fresh CI runner:
//   (a) 10 jobs restored from the remote, (b) one job whose 10,000 output files are restored,
//   (e) one job whose 10,000 input files are hashed before its output is restored;
// and orca's transfer of a 200 MB artifact set (20 files of 10 MB) against a plain PUT and GET of the
// same bytes with the same client (orca's node:http client) to the same server.
// Needs a built CLI (npm run build), a Docker engine (the first run of each project fills the remote)
// and turbo installed outside the repo (see bench/cache.mjs):
//   TURBO_BIN=/tmp/turbo-bench/node_modules/.bin/turbo node bench/remote.mjs [iterations]
// Each case also times the Node.js floor (bench/lib/restore-floor.cjs): a script that reads jobs.yml,
// lists and hashes the project, downloads the objects orca's run downloads and writes four files per
// job, with none of orca's code: what any Node.js tool pays on this machine before its own work.
// ORCA_BEFORE=<another build's bin/run.cjs> adds a column for it (e.g. main's, to measure a change),
// timed in the same runs; ORCA_BENCH_CASES=a,b,c,d,e picks the cases (d: the 10 jobs of (a) from the same
// server behind TLS and a delay of ORCA_BENCH_RTT_MS (default 20) per round trip, orca against
// ORCA_BEFORE only: turbo would need the bench's certificate in its own trust store); ORCA_NODE=<a node binary> runs
// orca on that Node.js (default: the one running this script); ORCA_BENCH_KEEP=1 keeps the projects
// and prints their folders (to profile a run by hand; the remote server stops with the script).
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {Buffer} from 'node:buffer'
import {randomBytes} from 'node:crypto'
import {closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync} from 'node:fs'
import {connect, createServer} from 'node:net'
import {setTimeout} from 'node:timers'
import {createServer as createTlsServer} from 'node:tls'
import {loadavg, tmpdir} from 'node:os'
import path from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'

import {median} from './lib/stats.mjs'
import {startTurboServer, TOKEN} from './lib/turbo-server.mjs'

const iterations = Number(process.argv[2] ?? 5)
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const ORCA = path.join(ROOT, 'bin/run.cjs')
const FLOOR = path.join(ROOT, 'bench/lib/restore-floor.cjs')
const BEFORE = process.env.ORCA_BEFORE
const TURBO = process.env.TURBO_BIN ?? '/tmp/turbo-bench/node_modules/.bin/turbo'
if (!existsSync(TURBO)) {
  console.error(`turbo not found at ${TURBO}; install it outside the repo (see bench/cache.mjs) or set TURBO_BIN`)
  process.exit(2)
}
const NODE = process.env.ORCA_NODE ?? process.execPath
// turbo as npm installs it is a Node.js script that starts the native binary: it runs on the same
// Node.js as orca, so both pay the same start (with ORCA_NODE too; `node` on PATH could be another).
const turboIsScript = startsWith(TURBO, '#!/usr/bin/env node')
const runTurbo = (args, dir, env, check) => (turboIsScript ? run(NODE, [TURBO, ...args], dir, env, check) : run(TURBO, args, dir, env, check))
const KEEP = process.env.ORCA_BENCH_KEEP === '1'
const TEAM = 'bench'
const server = await startTurboServer()
const temps = []
const baseEnv = {...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', NO_COLOR: '1', CI: '1'}
const orcaEnv = {...baseEnv, ORCA_REMOTE_CACHE_URL: server.url, ORCA_REMOTE_CACHE_TOKEN: TOKEN, ORCA_REMOTE_CACHE_TEAM: TEAM}
const turboRemote = [`--api=${server.url}`, `--token=${TOKEN}`, `--team=${TEAM}`, '--output-logs=none']
// Each build keeps its compiled code in the user's cache folder and removes another build's there
// (bin/run.cjs): ORCA_BEFORE's runs get a folder of their own, or interleaved runs would compile every time.
const beforeCacheHome = BEFORE ? mkdtempSync(path.join(tmpdir(), 'orca-bench-before-cache-')) : undefined
if (beforeCacheHome) temps.push(beforeCacheHome)
const asBefore = (env) => ({...env, XDG_CACHE_HOME: beforeCacheHome})

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
    '.gitignore': '.orca/\n.orca-floor/\n.turbo/\nout/\nnode_modules/\n',
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

/** `run` without blocking this process, whose event loop relays the delayed TLS remote meanwhile. */
async function runAsync(cmd, args, cwd, env, check) {
  const start = performance.now()
  const child = spawn(cmd, args, {cwd, env, stdio: ['ignore', 'pipe', 'pipe']})
  let out = ''
  child.stdout.on('data', (chunk) => (out += chunk))
  child.stderr.on('data', (chunk) => (out += chunk))
  const status = await new Promise((resolve) => child.on('close', resolve))
  const ms = performance.now() - start
  if (status !== 0 || (check && !check(out))) throw new Error(`${cmd} ${args.join(' ')} failed or was not restored from the remote (${status}):\n${out.slice(-3000)}`)
  return ms
}

/** Local caches and outputs gone: what a fresh runner has. */
function forgetLocally(dir) {
  for (const rel of ['.orca', '.orca-floor', '.turbo', 'out', 'node_modules/.cache']) rmSync(path.join(dir, rel), {recursive: true, force: true})
}

const orcaFromRemote = (jobs) => (out) => new RegExp(`remote cache: ${jobs} hits?`).test(out)
const turboFromRemote = (out) => /FULL TURBO/.test(out)

function compare(label, dir, jobs, turboTasks) {
  // Fill the remote once with each tool (orca runs the containers here; an older build uploads its own way).
  run(NODE, [ORCA, 'run', '--output', 'plain'], dir, orcaEnv)
  const floorArgs = [FLOOR, server.url, TOKEN, TEAM, ...bundlesOf(dir)]
  if (BEFORE) {
    forgetLocally(dir)
    run(NODE, [BEFORE, 'run', '--output', 'plain'], dir, asBefore(orcaEnv))
  }
  runTurbo(['run', ...turboTasks, ...turboRemote], dir, baseEnv)
  const samples = {orca: [], before: [], turbo: [], floor: []}
  for (let i = 0; i < iterations; i++) {
    // Interleaved, so no tool gets a warmer machine.
    forgetLocally(dir)
    samples.orca.push(run(NODE, [ORCA, 'run', '--output', 'plain'], dir, orcaEnv, orcaFromRemote(jobs)))
    forgetLocally(dir)
    samples.floor.push(run(NODE, floorArgs, dir, baseEnv))
    if (BEFORE) {
      forgetLocally(dir)
      samples.before.push(run(NODE, [BEFORE, 'run', '--output', 'plain'], dir, asBefore(orcaEnv), orcaFromRemote(jobs)))
    }
    forgetLocally(dir)
    samples.turbo.push(runTurbo(['run', ...turboTasks, ...turboRemote], dir, baseEnv, turboFromRemote))
  }
  const orca = median(samples.orca)
  const turbo = median(samples.turbo)
  const floor = median(samples.floor)
  const before = BEFORE ? ` ${median(samples.before).toFixed(0)} ms | ${(median(samples.before) / turbo).toFixed(2)}× |` : ''
  console.log(`| ${label} | ${orca.toFixed(0)} ms | ${turbo.toFixed(0)} ms | ${(orca / turbo).toFixed(2)}× | ${verdict(orca <= turbo)} | ${floor.toFixed(0)} ms | ${(orca / floor).toFixed(2)}× | ${(turbo / floor).toFixed(2)}× |${before}`)
}

/** The remote objects orca's last run in `dir` restored its jobs from (its entries' bundles), for the floor to download. */
function bundlesOf(dir) {
  const runs = path.join(dir, '.orca', 'runs')
  const latest = readdirSync(runs).filter((name) => /^\d{8}T/.test(name)).sort().at(-1)
  const keys = Object.values(JSON.parse(readFileSync(path.join(runs, latest, 'run.json'), 'utf8')).jobs).map((job) => job.key)
  const stored = readdirSync(path.join(server.storage, TEAM))
  const ids = keys.map((key) => stored.find((name) => name.startsWith('orca-bundle-') && name.endsWith(`-${key}`)))
  if (ids.some((id) => id === undefined)) throw new Error(`the remote lacks a bundle of orca's last run in ${dir}`)
  return ids
}

/**
 * The remote server behind TLS, with `rtt` ms added to every round trip: a TCP relay that holds
 * each chunk rtt/2 ms in each direction, in front of a TLS server (a certificate made for
 * 127.0.0.1) that passes the requests on to the server. The TLS handshake pays the delay as over a
 * real network; the TCP handshake to the relay does not.
 */
async function delayedTls(rtt) {
  const dir = mkdtempSync(path.join(tmpdir(), 'orca-remote-bench-tls-'))
  temps.push(dir)
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], {stdio: 'ignore'})
  const cert = readFileSync(path.join(dir, 'cert.pem'))
  const upstream = new URL(server.url)
  const tls = createTlsServer({key: readFileSync(path.join(dir, 'key.pem')), cert}, (socket) => {
    const to = connect(Number(upstream.port), upstream.hostname)
    socket.pipe(to).pipe(socket)
    for (const end of [socket, to]) end.on('error', () => (socket.destroy(), to.destroy()))
  })
  await new Promise((resolve) => tls.listen(0, '127.0.0.1', resolve))
  const held = (from, to) => {
    from.on('data', (chunk) => setTimeout(() => to.write(chunk), rtt / 2))
    from.on('end', () => setTimeout(() => to.end(), rtt / 2))
    from.on('error', () => (from.destroy(), to.destroy()))
  }
  const relay = createServer((socket) => {
    const to = connect(tls.address().port, '127.0.0.1')
    held(socket, to)
    held(to, socket)
  })
  await new Promise((resolve) => relay.listen(0, '127.0.0.1', resolve))
  // The user's extra certificates stay (Node.js 20 reads them at every start), with the bench's added.
  const bundle = path.join(dir, 'ca.pem')
  const extra = process.env.NODE_EXTRA_CA_CERTS
  writeFileSync(bundle, Buffer.concat([extra && existsSync(extra) ? readFileSync(extra) : Buffer.alloc(0), Buffer.from('\n'), cert]))
  return {
    env: {...orcaEnv, ORCA_REMOTE_CACHE_URL: `https://127.0.0.1:${relay.address().port}`, NODE_EXTRA_CA_CERTS: bundle},
    close: () => (relay.close(), tls.close()),
  }
}

/** The 10 jobs of case (a) from the remote behind TLS and a delay: orca against ORCA_BEFORE, interleaved. */
async function overTls(dir, rtt) {
  if (!BEFORE) {
    console.log(`| 10 jobs, TLS and ${rtt} ms round trips | (needs ORCA_BEFORE) |`)
    return
  }
  const remote = await delayedTls(rtt)
  try {
    const samples = {orca: [], before: []}
    for (let i = 0; i < iterations; i++) {
      for (const [name, bin] of [['orca', ORCA], ['before', BEFORE]]) {
        forgetLocally(dir)
        samples[name].push(await runAsync(NODE, [bin, 'run', '--output', 'plain'], dir, name === 'before' ? asBefore(remote.env) : remote.env, orcaFromRemote(10)))
      }
    }
    const orca = median(samples.orca)
    const before = median(samples.before)
    console.log(`\n10 jobs from the remote over TLS with ${rtt} ms round trips (median of ${iterations}): orca ${orca.toFixed(0)} ms, before ${before.toFixed(0)} ms, orca / before ${(orca / before).toFixed(2)}×`)
  } finally {
    remote.close()
  }
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
  const cases = (process.env.ORCA_BENCH_CASES ?? 'a,b,e,c').split(',')
  console.log(`orca (Node.js ${spawnSync(NODE, ['--version'], {encoding: 'utf8'}).stdout.trim()}) and turbo ${turboVersion()} through one turborepo-remote-cache on loopback; local caches emptied before each run; median of ${iterations}; load average ${loadavg().map((n) => n.toFixed(1)).join(' ')}\n`)
  const columns = ['case', 'orca', 'turbo', 'orca / turbo', 'goal orca ≤ turbo', 'Node.js floor', 'orca / floor', 'turbo / floor', ...(BEFORE ? ['before', 'before / turbo'] : [])]
  console.log(`| ${columns.join(' | ')} |\n|${' --- |'.repeat(columns.length)}`)
  if (cases.includes('a') || cases.includes('d')) {
    const ten = Array.from({length: 10}, (_, i) => {
      const name = `t${i + 1}`
      const needs = i === 0 ? [] : i === 9 ? Array.from({length: 8}, (_, k) => `t${k + 2}`) : ['t1']
      return {name, needs, inputs: [`src/${name}/**`], outputs: [`out/${name}.txt`], script: `mkdir -p out && cat src/${name}/* > out/${name}.txt`}
    })
    const files = Object.fromEntries(ten.flatMap((j) => Array.from({length: 5}, (_, k) => [`src/${j.name}/f${k}.txt`, `${j.name} ${k}\n`])))
    const dir = makeProject(ten, files)
    if (cases.includes('a')) compare('10 jobs from the remote', dir, 10, ten.map((j) => j.name))
    else run(NODE, [ORCA, 'run', '--output', 'plain'], dir, orcaEnv)
    if (cases.includes('d')) await overTls(dir, Number(process.env.ORCA_BENCH_RTT_MS ?? 20))
  }
  if (cases.includes('b')) {
    const many = [{name: 'gen', needs: [], inputs: ['src/**'], outputs: ['out/**'], script: 'mkdir -p out && for d in $(seq 0 99); do mkdir -p out/d$d && for f in $(seq 0 99); do echo "folder $d file $f" > out/d$d/f$f.txt; done; done'}]
    compare('one job, 10,000 output files from the remote', makeProject(many, {'src/seed.txt': 'seed\n'}), 1, ['gen'])
  }
  if (cases.includes('e')) {
    // What the issue names: a job whose 10,000 inputs (committed, as on a CI runner's checkout) are
    // hashed on a runner that has never seen them, before its one small output comes from the remote.
    const wide = [{name: 'count', needs: [], inputs: ['src/**'], outputs: ['out/count.txt'], script: 'mkdir -p out && find src -type f | wc -l > out/count.txt'}]
    const inputs = Object.fromEntries(Array.from({length: 10_000}, (_, n) => [`src/d${Math.floor(n / 100)}/f${n % 100}.txt`, `input ${n}\n`]))
    compare('one job, 10,000 input files, restored from the remote', makeProject(wide, inputs), 1, ['count'])
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

function startsWith(file, text) {
  const fd = openSync(file, 'r')
  try {
    const head = Buffer.alloc(text.length)
    return readSync(fd, head, 0, head.length, 0) === head.length && head.toString('latin1') === text
  } finally {
    closeSync(fd)
  }
}

function turboVersion() {
  return spawnSync(turboIsScript ? NODE : TURBO, turboIsScript ? [TURBO, '--version'] : ['--version'], {encoding: 'utf8'}).stdout.trim()
}
