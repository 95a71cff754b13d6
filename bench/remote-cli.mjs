// orca run --server against orca run here, on a project of many small files (no containers: a group pipeline).
// Measures, interleaved, the medians of: a local `orca run` (the baseline); a remote run that sends the
// whole tree (a fresh server store each time); a remote run with nothing changed (nothing sent); one
// with one file changed (one file sent). Prints the ratios to the baseline (docs/performance.md,
// "Remote runs"). Needs a built CLI (npm run build). Usage: node bench/remote-cli.mjs [iterations] [files]
import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import {fileURLToPath} from 'node:url'

import {median, time} from './lib/stats.mjs'

const iterations = Number(process.argv[2] ?? 7)
const fileCount = Number(process.argv[3] ?? 2000)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const ORCA = path.join(root, 'bin/run.cjs')
const env = {...process.env, CI: undefined, ORCA_SERVER: undefined, ORCA_TOKEN: undefined, NO_COLOR: '1'}

const work = mkdtempSync(path.join(tmpdir(), 'orca-bench-remote-'))
const project = path.join(work, 'project')
for (let i = 0; i < fileCount; i++) {
  mkdirSync(path.join(project, 'src', String(i % 50)), {recursive: true})
  writeFileSync(path.join(project, 'src', String(i % 50), `f${i}.txt`), `file ${i}\n`.repeat(20))
}
writeFileSync(path.join(project, 'jobs.yml'), 'version: 1\njobs:\n  all: {}\n')

/** A fresh `orca serve` over a project of its own that runs working trees; resolves with its URL and a stop(). */
function serve() {
  const dir = mkdtempSync(path.join(work, 'server-'))
  writeFileSync(path.join(dir, 'jobs.yml'), 'version: 1\njobs:\n  x: {}\n')
  writeFileSync(path.join(dir, 'orca.config.yml'), 'serve:\n  workingTrees: true\nretention:\n  maxRuns: 5\n')
  const child = spawn(process.execPath, [ORCA, 'serve', '--port', '0'], {cwd: dir, env, stdio: ['ignore', 'pipe', 'inherit']})
  return new Promise((resolve) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1]
      if (url) resolve({url, stop: () => new Promise((r) => (child.on('close', r), child.kill('SIGTERM')))})
    })
  })
}

function orca(args) {
  const result = spawnSync(process.execPath, [ORCA, ...args], {cwd: project, env, encoding: 'utf8'})
  if (result.status !== 0) throw new Error(`orca ${args.join(' ')} exited ${result.status}: ${result.stderr}`)
  return result
}

const server = await serve()
const samples = {local: [], whole: [], unchanged: [], oneChanged: []}
try {
  for (let i = 0; i < iterations; i++) {
    samples.local.push(await time(() => orca(['run', '--output', 'plain'])))
    const fresh = await serve()
    samples.whole.push(await time(() => orca(['run', '--output', 'plain', '--server', fresh.url])))
    await fresh.stop()
    orca(['run', '--output', 'plain', '--server', server.url])
    samples.unchanged.push(await time(() => orca(['run', '--output', 'plain', '--server', server.url])))
    writeFileSync(path.join(project, 'src/0/f0.txt'), `changed ${i}\n`)
    samples.oneChanged.push(await time(() => orca(['run', '--output', 'plain', '--server', server.url])))
  }
} finally {
  await server.stop()
  rmSync(work, {recursive: true, force: true})
}
const base = median(samples.local)
console.log(`${fileCount} files, ${iterations} iterations, medians:`)
console.log(`  local orca run (baseline)        ${base.toFixed(0)} ms`)
for (const [name, label] of [['whole', 'remote, whole tree sent'], ['unchanged', 'remote, nothing sent'], ['oneChanged', 'remote, one file sent']]) {
  const m = median(samples[name])
  console.log(`  ${label.padEnd(32)} ${m.toFixed(0)} ms  ${(m / base).toFixed(2)}x`)
}
