// Artifacts: a job that produces a node_modules-like tree (N files in package folders, a .bin link)
// and a job that uses it, run in turn, each iteration, by:
//   orca (cold: empty cache and runs; then fully cached),
//   gitlab-ci-local 4.70.0 on the same pipeline (.gitlab-ci.yml),
//   the same two commands under plain `docker run` with the project bind-mounted (no copies at all),
//   and the floor of moving the tree: `docker cp` of a tar stream out of a container and into one.
// Prints medians and the ratios the goals are stated in (docs/performance.md).
//
// Needs: a built CLI (npm run build), busybox:1.36 (scripts/test-images.sh), rsync and bash on the
// host, and gitlab-ci-local installed OUTSIDE the repo:
//   mkdir -p /tmp/gcl && cd /tmp/gcl && npm init -y && npm install gitlab-ci-local@4.70.0
// then: GITLAB_CI_LOCAL=/tmp/gcl/node_modules/.bin/gitlab-ci-local node bench/artifacts.mjs [iterations] [files]
// GITLAB_CI_LOCAL=none skips gitlab-ci-local. FLAT_FILES (default 60000, 0 to skip) sets the size of the
// tree whose fully cached run is compared with the first one's.
import {execFileSync, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'

import {Buffer} from 'node:buffer'

import tar from 'tar-stream'

import {ensureHelperImage, GCL, gclEnv, HELPER, requireGcl, useGcl} from './lib/gitlab-ci-local.mjs'

const iterations = Number(process.argv[2] ?? 3)
const files = Number(process.argv[3] ?? 6000)
const flatFiles = Number(process.env.FLAT_FILES ?? 60_000)
// ORCA_BIN measures another build of orca (e.g. an older commit built elsewhere) on the same projects.
const ORCA = process.env.ORCA_BIN ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/run.cjs')
requireGcl()
const IMAGE = 'busybox:1.36'
const env = gclEnv
const made = []

const INSTALL = 'rm -rf node_modules && tar xf nm.tar'
// Whether the .bin link reached the job is printed, not required: a tool that drops links still runs.
const USE = 'ls node_modules | wc -l && { node_modules/.bin/tool || echo "no .bin link"; }'

/** A deterministic node_modules-like tar: `count` files in package folders (sizes like npm's, mean ≈ 8 KB), one executable behind a .bin link. */
async function nodeModulesTar(count) {
  const pack = tar.pack()
  const chunks = []
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk)
  })()
  let seed = 42
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32)
  const entry = (header, body) => new Promise((resolve, reject) => pack.entry(header, body, (error) => (error ? reject(error) : resolve())))
  await entry({name: 'node_modules/pkg0/bin/tool.js', mode: 0o755}, '#!/bin/sh\necho tool ran\n')
  await entry({name: 'node_modules/.bin/tool', type: 'symlink', linkname: '../pkg0/bin/tool.js'})
  for (let i = 1; i < count - 1; i++) {
    const size = Math.min(256 * 1024, Math.floor(-Math.log(1 - random()) * 8000))
    const body = Buffer.alloc(size, `${i} `)
    await entry({name: `node_modules/pkg${Math.floor(i / 40)}/${['lib', 'dist', 'src'][i % 3]}/f${i}.js`, mode: 0o644}, body)
  }
  pack.finalize()
  await collected
  return Buffer.concat(chunks)
}

async function makeProject(count) {
  const dir = mkdtempSync(path.join(tmpdir(), 'orca-artifacts-bench-'))
  made.push(dir)
  writeFileSync(path.join(dir, 'nm.tar'), await nodeModulesTar(count))
  writeFileSync(
    path.join(dir, 'jobs.yml'),
    `version: 1\nimage: ${IMAGE}\njobs:\n  install:\n    inputs: ["nm.tar"]\n    network: none\n    steps: [${JSON.stringify(INSTALL)}]\n    artifacts: ["node_modules/**"]\n` +
      `  use:\n    needs: [install]\n    inputs: []\n    network: none\n    steps: [${JSON.stringify(USE)}]\n`,
  )
  writeFileSync(
    path.join(dir, '.gitlab-ci.yml'),
    `install:\n  image: ${IMAGE}\n  script: [${JSON.stringify(INSTALL)}]\n  artifacts:\n    paths: [node_modules/]\n` +
      `use:\n  image: ${IMAGE}\n  needs: [install]\n  script: [${JSON.stringify(USE)}]\n`,
  )
  writeFileSync(path.join(dir, '.gitignore'), '.orca/\n.gitlab-ci-local/\nnode_modules/\n')
  const git = (...args) => execFileSync('git', ['-c', 'user.email=bench@orca', '-c', 'user.name=bench', ...args], {cwd: dir, stdio: 'ignore'})
  git('init', '-q')
  git('add', '-A')
  git('commit', '-qm', 'bench')
  return dir
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, {cwd: options.cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, input: options.input, shell: options.shell})
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${result.status}):\n${result.stdout?.slice(-2000)}\n${result.stderr?.slice(-2000)}`)
  return result.stdout
}

function timed(fn) {
  const start = performance.now()
  const value = fn()
  return {ms: performance.now() - start, value}
}

/** The floor: a tar stream of the tree through `docker cp`, out of a container that has it, then into a fresh one. */
function floor(dir) {
  const scratch = mkdtempSync(path.join(tmpdir(), 'orca-artifacts-floor-'))
  try {
    const source = run('docker', ['create', '-w', '/w', IMAGE, 'sh', '-c', INSTALL]).trim()
    run('docker', ['cp', path.join(dir, 'nm.tar'), `${source}:/w/nm.tar`])
    run('docker', ['start', '-a', source])
    const save = timed(() => run('sh', ['-c', `docker cp ${source}:/w/node_modules - | tar x -C ${scratch} && docker rm -f ${source} >/dev/null`]))
    const restore = timed(() => {
      const target = run('docker', ['create', '-w', '/w', IMAGE, 'sleep', '60']).trim()
      run('sh', ['-c', `docker start ${target} >/dev/null && docker exec ${target} mkdir -p /w && tar c -C ${scratch} node_modules | docker cp - ${target}:/w`])
      return target
    })
    run('docker', ['rm', '-f', restore.value])
    return {save: save.ms, restore: restore.ms}
  } finally {
    rmSync(scratch, {recursive: true, force: true})
  }
}

/** orca with an empty cache and runs folder: the whole run, and the save and restore of the tree from its events. */
function orcaCold(dir) {
  rmSync(path.join(dir, '.orca'), {recursive: true, force: true})
  const {ms, value} = timed(() => run(process.execPath, [ORCA, 'run', '--output', 'json'], {cwd: dir}))
  const events = value.trim().split('\n').map((line) => JSON.parse(line))
  const at = (job, type, pick = 'first') => {
    const found = events.filter((e) => e.job === job && e.type === type)
    const event = pick === 'last' ? found.at(-1) : found[0]
    if (!event) throw new Error(`no ${type} of ${job}`)
    return Date.parse(event.time)
  }
  const links = events.some((e) => e.type === 'step.output' && e.job === 'use' && e.text.includes('tool ran'))
  // Collecting, up to the artifacts' event (the container's removal included, as in the floor's `docker rm`;
  // builds before job.artifacts sent job.artifact per file); copying in, from the container's creation to
  // its first step (its start included, as in the floor's).
  const collected = events.some((e) => e.type === 'job.artifacts') ? at('install', 'job.artifacts') : at('install', 'job.artifact', 'last')
  return {total: ms, save: collected - at('install', 'step.finished', 'last'), restore: at('use', 'step.started') - at('use', 'job.container'), links}
}

function orcaCached(dir) {
  const {ms, value} = timed(() => run(process.execPath, [ORCA, 'run', '--output', 'plain'], {cwd: dir}))
  if (!value.includes('2 cached')) throw new Error(`not fully cached:\n${value}`)
  return ms
}

function gitlabCiLocal(dir) {
  rmSync(path.join(dir, '.gitlab-ci-local'), {recursive: true, force: true})
  const {ms, value} = timed(() => run(GCL, ['--helper-image', HELPER], {cwd: dir}))
  return {ms, links: value.includes('tool ran')}
}

function bindMount(dir) {
  return timed(() => {
    for (const script of [INSTALL, USE]) run('docker', ['run', '--rm', '--network', 'none', '-v', `${dir}:/w`, '-w', '/w', IMAGE, 'sh', '-c', script])
  }).ms
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)]
}
const s = (ms) => `${(ms / 1000).toFixed(2)} s`
const ratio = (a, b) => `${(a / b).toFixed(2)}×`

try {
  if (useGcl) ensureHelperImage(IMAGE)
  const dir = await makeProject(files)
  const samples = {cold: [], save: [], restore: [], cached: [], gcl: [], bind: [], floorSave: [], floorRestore: []}
  const links = {}
  for (let i = 0; i < iterations; i++) {
    // Interleaved, so load on the machine falls on every tool alike.
    const cold = orcaCold(dir)
    samples.cold.push(cold.total)
    samples.save.push(cold.save)
    samples.restore.push(cold.restore)
    samples.cached.push(orcaCached(dir))
    if (useGcl) {
      const gcl = gitlabCiLocal(dir)
      samples.gcl.push(gcl.ms)
      links.gcl = gcl.links
    }
    links.orca = cold.links
    samples.bind.push(bindMount(dir))
    const f = floor(dir)
    samples.floorSave.push(f.save)
    samples.floorRestore.push(f.restore)
    console.error(`iteration ${i + 1}/${iterations} done`)
  }
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.length ? median(v) : NaN]))
  // Every sample, seconds, in the order taken: the spread says how much to trust a median on a busy machine.
  for (const [k, v] of Object.entries(samples)) if (v.length) console.log(`  ${k.padEnd(12)} ${v.map((ms) => (ms / 1000).toFixed(2)).join(' ')}`)
  console.log(`\n${files} files (${(readFileSync(path.join(dir, 'nm.tar')).length / 1024 / 1024).toFixed(1)} MiB tar), ${iterations} iterations, medians:`)
  console.log(`  orca cold run               ${s(m.cold)}   .bin link reached the dependent: ${links.orca ? 'yes' : 'no'}`)
  if (useGcl) console.log(`  gitlab-ci-local             ${s(m.gcl)}   orca ÷ gitlab-ci-local = ${ratio(m.cold, m.gcl)} (goal ≤ 0.80×); .bin link: ${links.gcl ? 'yes' : 'no'}`)
  console.log(`  docker run, bind mount      ${s(m.bind)}   orca ÷ bind mount = ${ratio(m.cold, m.bind)} (goal ≤ 1.20×)`)
  console.log(`  orca save (collect)         ${s(m.save)}   ÷ floor ${s(m.floorSave)} = ${ratio(m.save, m.floorSave)} (goal ≤ 1.30×)`)
  console.log(`  orca restore (copy in)      ${s(m.restore)}   ÷ floor ${s(m.floorRestore)} = ${ratio(m.restore, m.floorRestore)} (goal ≤ 1.30×)`)
  console.log(`  orca fully cached run       ${s(m.cached)} (goal ≤ 0.50 s)`)
  if (flatFiles > 0) {
    const big = await makeProject(flatFiles)
    orcaCold(big)
    const cached = Array.from({length: iterations}, () => [orcaCached(dir), orcaCached(big)])
    const [small, large] = [median(cached.map((c) => c[0])), median(cached.map((c) => c[1]))]
    console.log(`  fully cached, ${files} vs ${flatFiles} files: ${s(small)} vs ${s(large)} = ${ratio(large, small)} (goal: flat)`)
  }
  console.log(`  sha256 of the tree: ${createHash('sha256').update(readFileSync(path.join(dir, 'nm.tar'))).digest('hex').slice(0, 12)}`)
} finally {
  // Containers are removed by orca, gitlab-ci-local and `docker run --rm` themselves; the projects go here.
  for (const dir of made) rmSync(dir, {recursive: true, force: true})
}
