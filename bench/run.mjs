#!/usr/bin/env node
// `npm run bench` lists the benches (the first comment line of each file); `npm run bench -- NAME
// [args...]` runs one (e.g. `npm run bench -- cache 15`); `npm run bench -- all` runs each in turn
// with its defaults. Benches measure the build in dist/: run `npm run build` first.
import {spawnSync} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const benches = readdirSync(here)
  .filter((name) => name.endsWith('.mjs') && name !== 'run.mjs')
  .map((name) => name.slice(0, -'.mjs'.length))
  .sort()

/** The first comment line of a bench: what it measures. */
function summary(name) {
  const first = readFileSync(join(here, `${name}.mjs`), 'utf8').split('\n').find((line) => line.startsWith('// '))
  return first ? first.slice(3) : ''
}

function run(name, args) {
  console.log(`\n== bench/${name}.mjs ${args.join(' ')}`.trimEnd())
  return spawnSync(process.execPath, [join(here, `${name}.mjs`), ...args], {stdio: 'inherit'}).status ?? 1
}

const [name, ...args] = process.argv.slice(2)
if (name === undefined) {
  const width = Math.max(...benches.map((b) => b.length))
  console.log('Benches (npm run bench -- NAME [args...], or -- all; each prints ratios against a baseline measured in the same run):\n')
  for (const bench of benches) console.log(`  ${bench.padEnd(width)}  ${summary(bench)}`)
} else if (name === 'all') {
  let failed = 0
  for (const bench of benches) if (run(bench, args) !== 0) failed++
  process.exitCode = failed > 0 ? 1 : 0
} else if (benches.includes(name)) {
  process.exitCode = run(name, args)
} else {
  console.error(`no bench named "${name}"; the benches are: ${benches.join(', ')}`)
  process.exitCode = 2
}
