// Listing a project's files, in process, interleaved: the step of a fully cached run that asks git.
//   (a) git asked: listProjectFiles in a git work tree without a record (one `git ls-files` process);
//   (b) git's answer kept: listProjectFiles with the record of git's last answer, nothing changed
//       (what a fully cached run does);
//   (c) the walk over .gitignore/.orcaignore with its listing cache warm (what a cached run did before
//       inputs followed git, and still does outside a work tree);
//   (d) `git ls-files -z -t --cached --others --exclude-standard` alone (the process, output not read).
// A commit of 10,000 files would start git's automatic gc in the background: it is turned off.
// All listings are checked to give the same files (nothing is ignored-but-tracked in this project).
// ORCA_BASELINE_DIST=<another build>/dist adds that build's walk, with the records it keeps, as a fifth case.
// Build first (npm run build, or ORCA_DIST=<outDir>); then: node bench/listing.mjs [files] [iterations]
import {execFileSync, spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import {performance} from 'node:perf_hooks'
import {setTimeout as sleep} from 'node:timers/promises'
import {pathToFileURL} from 'node:url'

const count = Number(process.argv[2] ?? 10_000)
const iterations = Number(process.argv[3] ?? 51)
const dist = process.env.ORCA_DIST ? pathToFileURL(path.resolve(process.env.ORCA_DIST)).href : new URL('../dist/', import.meta.url).href
const {listProjectFiles} = await import(`${dist}/engine/plan/project-files.js`)
const {walkProjectFiles} = await import(`${dist}/engine/plan/walk.js`)
const baselineDist = process.env.ORCA_BASELINE_DIST ? pathToFileURL(path.resolve(process.env.ORCA_BASELINE_DIST)).href : undefined
const baselineWalk = baselineDist && (await import(`${baselineDist}/engine/plan/walk.js`)).walkProjectFiles

const dir = mkdtempSync(path.join(tmpdir(), 'orca-listing-bench-'))
const perFolder = 100
for (let d = 0; d < Math.ceil(count / perFolder); d++) {
  mkdirSync(path.join(dir, `src/d${d}`), {recursive: true})
  for (let f = 0; f < perFolder && d * perFolder + f < count; f++) writeFileSync(path.join(dir, `src/d${d}/f${f}.txt`), `folder ${d} file ${f}\n`)
}
writeFileSync(path.join(dir, '.gitignore'), '.orca/\nout/\nnode_modules/\n')
writeFileSync(path.join(dir, 'jobs.yml'), 'version: 1\njobs: {}\n')
const env = {...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1'}
const git = (...args) => execFileSync('git', ['-c', 'user.email=bench@orca', '-c', 'user.name=bench', '-c', 'gc.auto=0', ...args], {cwd: dir, env, stdio: 'ignore'})
git('init', '-q')
git('add', '-A')
git('commit', '-qm', 'bench')
// orca's state folder exists in a project that has run before (creating it changes the project folder).
mkdirSync(path.join(dir, '.orca'))
// Older than the two "racy" seconds, so the listing caches (and git's index) trust every folder.
await sleep(2500)

const listingCache = path.join(dir, '.orca/listing.json')
const gitListingCache = path.join(dir, '.orca/listing.git.json')
const cases = {
  'git asked': async () => (await listProjectFiles(dir, {env, pipelineFile: path.join(dir, 'jobs.yml')})).files,
  "git's answer kept": async () => (await listProjectFiles(dir, {env, pipelineFile: path.join(dir, 'jobs.yml'), gitListingCache})).files,
  walk: () => walkProjectFiles(dir, {listingCache}),
  ...(baselineWalk ? {'walk (baseline build)': () => baselineWalk(dir, {listingCache: path.join(dir, '.orca/listing.baseline.json')})} : {}),
  'git ls-files alone': () => new Promise((resolve) => spawn('git', ['ls-files', '-z', '-t', '--cached', '--others', '--exclude-standard'], {cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe']}).on('close', resolve).stdout.resume()),
}
const walked = JSON.stringify(cases.walk())
const same = JSON.stringify(await cases['git asked']()) === walked && JSON.stringify(await cases["git's answer kept"]()) === walked && (!baselineWalk || JSON.stringify(cases['walk (baseline build)']()) === walked)
if (!same) throw new Error('the git listing and the walk differ on the bench project')
const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]))
const names = Object.keys(cases)
for (let i = 0; i < iterations; i++) {
  for (let t = 0; t < names.length; t++) {
    const name = names[(i + t) % names.length]
    const start = performance.now()
    await cases[name]()
    samples[name].push(performance.now() - start)
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
console.log(`${count} files, ${iterations} iterations, interleaved (same files from both listings: ${same})\n`)
console.log('| listing | median | min |\n| --- | --- | --- |')
for (const name of names) console.log(`| ${name} | ${median(samples[name]).toFixed(1)} ms | ${Math.min(...samples[name]).toFixed(1)} ms |`)
const ratio = (name) => `${(median(samples[name]) / median(samples.walk)).toFixed(2)}× (median), ${(Math.min(...samples[name]) / Math.min(...samples.walk)).toFixed(2)}× (min)`
console.log(`\nagainst the walk: git asked ${ratio('git asked')}; git's answer kept ${ratio("git's answer kept")}${baselineWalk ? `; the baseline build's walk ${ratio('walk (baseline build)')}` : ''}`)
rmSync(dir, {recursive: true, force: true})
