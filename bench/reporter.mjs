// Reporter cost while a step floods output.
// Part 1 (always): the same event stream (50 jobs, one step printing LINES lines in engine-sized chunks)
// fed to each reporter; CPU time of the reporter alone. Part 2 (--e2e): wall time of `orca run` on a
// flooding pipeline, live view in a pseudo-terminal vs `--output json > /dev/null`, interleaved.
// Build first (npm run build, or ORCA_DIST=<outDir>), then: node bench/reporter.mjs [lines] [--e2e [iterations]]
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import {performance} from 'node:perf_hooks'
import {Writable} from 'node:stream'
import {fileURLToPath, pathToFileURL} from 'node:url'

const args = process.argv.slice(2)
const LINES = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000)
const e2e = args.indexOf('--e2e')
const dist = process.env.ORCA_DIST ? pathToFileURL(path.resolve(process.env.ORCA_DIST)).href : new URL('../dist/', import.meta.url).href
process.env.CI = 'false'

const {JsonReporter} = await import(`${dist}/views/run/json.js`)
const {PlainReporter} = await import(`${dist}/views/run/plain.js`)
const {LiveView} = await import(`${dist}/views/live/live-view.js`)

/** A terminal that throws away what it is sent (but counts it). */
function sink(isTTY) {
  const stream = new Writable({write: (chunk, _enc, cb) => ((stream.bytes += chunk.length), cb())})
  Object.assign(stream, {isTTY, columns: 120, rows: 40, bytes: 0})
  return stream
}

function* events() {
  const jobs = Array.from({length: 50}, (_, i) => `job-${String(i).padStart(2, '0')}`)
  let seq = 0
  const stamp = (body) => ({...body, seq: ++seq, time: new Date().toISOString(), runId: 'bench'})
  yield stamp({type: 'run.started', targets: jobs, jobs, file: 'jobs.yml', projectDir: '/p', pid: 1, host: 'h', orcaVersion: '0'})
  for (const job of jobs.slice(0, 8)) {
    yield stamp({type: 'job.started', job, image: 'busybox:1.36'})
    yield stamp({type: 'step.started', job, step: 0, name: 'flood'})
  }
  // Docker hands over up to ~16 KB at a time; the engine cuts it at line ends.
  const perChunk = 400
  for (let n = 0; n < LINES; n += perChunk) {
    const text = Array.from({length: perChunk}, (_, i) => `line ${n + i} of a long flood of output from the step`).join('\n') + '\n'
    yield stamp({type: 'step.output', job: jobs[(n / perChunk) % 8], step: 0, stream: 'stdout', text})
  }
  for (const job of jobs) yield stamp({type: 'job.finished', job, status: 'succeeded', durationMs: 1, cleanup: 'removed'})
  yield stamp({type: 'run.finished', status: 'succeeded', durationMs: 1})
}

async function measure(name, make) {
  const reporter = make()
  const cpu = process.cpuUsage()
  const start = performance.now()
  for (const event of events()) reporter.handle(event)
  await reporter.close?.()
  const used = process.cpuUsage(cpu)
  return {name, wallMs: performance.now() - start, cpuMs: (used.user + used.system) / 1000}
}

// Event generation alone, to subtract.
const base = await measure('events only', () => ({handle() {}}))
const rows = [base]
rows.push(await measure('json', () => new JsonReporter(sink(false))))
rows.push(await measure('plain', () => new PlainReporter(sink(false), {color: false})))
rows.push(await measure('live view', () => new LiveView({stream: sink(true), onCancel() {}})))
console.log(`${LINES} lines from 8 running jobs of 50, ${Math.round(LINES / 400)} output events`)
for (const r of rows) {
  const extra = r === base ? '' : `  (reporter ≈ ${Math.max(0, r.cpuMs - base.cpuMs).toFixed(0)} ms CPU)`
  console.log(`${r.name.padEnd(12)} wall ${r.wallMs.toFixed(0).padStart(6)} ms  cpu ${r.cpuMs.toFixed(0).padStart(6)} ms${extra}`)
}

if (e2e >= 0) {
  const iterations = Number(args[e2e + 1] ?? 5)
  const bin = fileURLToPath(new URL('../bin/run.cjs', import.meta.url))
  const dir = mkdtempSync(path.join(tmpdir(), 'orca-bench-'))
  writeFileSync(
    path.join(dir, 'jobs.yml'),
    `version: 1\nimage: busybox:1.36\njobs:\n  flood:\n    inputs: []\n    network: none\n    cache: false\n    steps:\n      - name: flood\n        run: i=0; while [ $i -lt 200000 ]; do echo "line $i of a long flood of output"; i=$((i+1)); done\n`,
  )
  const env = {...process.env, CI: '', GITHUB_ACTIONS: '', GITLAB_CI: ''}
  const time = (argv) => {
    const start = performance.now()
    const r = spawnSync('script', ['-qfec', `stty cols 120 rows 40; ${argv}`, '/dev/null'], {cwd: dir, env, stdio: 'ignore'})
    if (r.status !== 0) throw new Error(`${argv} exited ${r.status}`)
    return performance.now() - start
  }
  const live = []
  const json = []
  try {
    for (let i = 0; i < iterations; i++) {
      json.push(time(`'${process.execPath}' '${bin}' run --output json > /dev/null`))
      live.push(time(`'${process.execPath}' '${bin}' run --output tty`))
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
  const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]
  console.log(`\norca run, one step printing 200k lines, ${iterations} runs each (median wall time)`)
  console.log(`--output json > /dev/null  ${median(json).toFixed(0)} ms`)
  console.log(`live view (pty)            ${median(live).toFixed(0)} ms   ratio ${(median(live) / median(json)).toFixed(2)}× (goal ≤ 1.10×)`)
}
