// The dashboard under load, in Chromium against a real `orca serve`:
//   1. first render of a run page: a 3-job run (the baseline) and a 200-job run (needs as a random DAG),
//      synthetic records served by the real server; the time from navigation to the page's
//      `orca:run-drawn` mark (graph and timeline on screen), and to a 100,000-line log of one job
//      being fully in the log view;
//   2. a real container printing 1,000 lines/s for 15 s, followed live in the log view, while the
//      page gets a key press every 50 ms: how many key presses arrived (none may drop), their delay
//      (event timestamp to handler), and how far the view's line count trails what was printed;
//      the baseline is the same key presses on the idle page.
// Prints medians over ITERATIONS page loads and the ratios against the baselines (docs/performance.md).
//
// Needs: a built CLI (npm run build), busybox:1.36 (scripts/test-images.sh), /usr/bin/chromium
// (scripts/browser-up.sh). Then: node bench/dashboard.mjs [iterations]
// The functions handed to page.evaluate/waitForFunction run in the browser, with its globals.
/* global document, window, performance, addEventListener, setTimeout, fetch */
import {spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import {fileURLToPath} from 'node:url'

import {chromium} from 'playwright-core'

import {foldEvents} from '../dist/engine/records/record.js'
import {median} from './lib/stats.mjs'

const iterations = Number(process.argv[2] ?? 5)
const ORCA = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'run.js')
const LOG_LINES = 100_000
const STREAM_SECONDS = 15

const project = mkdtempSync(path.join(tmpdir(), 'orca-bench-dashboard-'))
const runsDir = path.join(project, '.orca', 'runs')

/** A pipeline of `count` jobs, each needing up to two of the ten before it. */
function pipeline(count) {
  const needs = {}
  let yml = 'version: 1\nimage: busybox:1.36\njobs:\n'
  for (let i = 0; i < count; i++) {
    const name = `job-${String(i).padStart(3, '0')}`
    const picks = i === 0 ? [] : [...new Set([Math.max(0, i - 1 - Math.floor(Math.random() * 10)), Math.max(0, i - 1 - Math.floor(Math.random() * 10))])]
    needs[name] = picks.map((p) => `job-${String(p).padStart(3, '0')}`)
    yml += `  ${name}:\n    steps: [echo ${i}]\n${needs[name].length ? `    needs: [${needs[name].join(', ')}]\n` : ''}`
  }
  return {yml, needs}
}

/** A finished run of that pipeline, written as orca writes one (events.jsonl, run.json folded from them). */
function seedRun(id, file, needs, logLines) {
  const jobs = Object.keys(needs)
  const start = Date.parse('2026-11-29T12:00:00.000Z')
  const events = []
  const at = (ms) => new Date(start + ms).toISOString()
  const push = (ms, event) => events.push({...event, seq: events.length + 1, time: at(ms), runId: id})
  push(0, {type: 'run.started', targets: [], jobs, file, projectDir: project, pid: 1, host: 'bench', orcaVersion: '0'})
  const ends = {}
  for (const job of jobs) {
    const begin = Math.max(0, ...needs[job].map((n) => ends[n])) + 50
    ends[job] = begin + 200 + Math.floor(Math.random() * 800)
    push(begin, {type: 'job.started', job, image: 'busybox:1.36', key: 'a'.repeat(64), cache: 'miss'})
    push(begin + 10, {type: 'step.started', job, step: 0, name: 'echo'})
    if (job === jobs[0]) {
      for (let chunk = 0; chunk < logLines / 1000; chunk++) {
        const text = Array.from({length: 1000}, (_, i) => `\u001b[32mline\u001b[0m ${chunk * 1000 + i + 1} of the log, with some text to make it look like a build`).join('\n') + '\n'
        push(begin + 20, {type: 'step.output', job, step: 0, stream: 'stdout', text})
      }
    }
    push(ends[job] - 5, {type: 'step.finished', job, index: 0, name: 'echo', status: 'succeeded', exitCode: 0, durationMs: ends[job] - begin - 15})
    push(ends[job], {type: 'job.finished', job, status: 'succeeded', durationMs: ends[job] - begin, cleanup: 'removed'})
  }
  const end = Math.max(...Object.values(ends)) + 10
  push(end, {type: 'run.finished', status: 'succeeded', durationMs: end})
  const dir = path.join(runsDir, id)
  mkdirSync(path.join(dir, 'logs'), {recursive: true})
  writeFileSync(path.join(dir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n')
  writeFileSync(path.join(dir, 'run.json'), JSON.stringify(foldEvents(events)))
}

function startServe() {
  const child = spawn(process.execPath, [ORCA, 'serve', '--port', '0'], {cwd: project, env: {...process.env, ORCA_TOKEN: ''}, stdio: ['ignore', 'pipe', 'inherit']})
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1]
      if (url) resolve({child, url})
    })
    child.on('exit', (code) => reject(new Error(`orca serve exited ${code}`)))
  })
}

const small = pipeline(3)
const large = pipeline(200)
writeFileSync(path.join(project, 'small.yml'), small.yml)
writeFileSync(path.join(project, 'large.yml'), large.yml)
const stream = `version: 1\nimage: busybox:1.36\njobs:\n  stream:\n    steps:\n      - i=0; while [ $i -lt ${STREAM_SECONDS * 10} ]; do seq $((i*100+1)) $((i*100+100)) | sed 's/^/line /'; i=$((i+1)); usleep 100000; done\n`
writeFileSync(path.join(project, 'jobs.yml'), stream)
seedRun('20261129T120000000Z-000003', path.join(project, 'small.yml'), small.needs, 0)
seedRun('20261129T120000000Z-000200', path.join(project, 'large.yml'), large.needs, LOG_LINES)

const serve = await startServe()
// A failed measurement still stops the server (its stderr is this process's).
process.on('exit', () => serve.child.kill('SIGTERM'))
const browser = await chromium.launch({
  executablePath: process.env.ORCA_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
})

/** Milliseconds from navigation to the run page's graph and timeline, and to the first job's whole log. */
async function firstRender(id, logLines) {
  const page = await browser.newPage({viewport: {width: 1280, height: 900}})
  await page.goto(`${serve.url}/#/runs/${id}/job-000`)
  const drawn = await page.waitForFunction(() => performance.getEntriesByName('orca:run-drawn')[0]?.startTime, undefined, {timeout: 60_000, polling: 'raf'})
  const drawnMs = await drawn.jsonValue()
  const graph = await page.waitForFunction(() => performance.getEntriesByName('orca:graph-drawn')[0]?.startTime, undefined, {timeout: 60_000, polling: 'raf'})
  const graphMs = await graph.jsonValue()
  const nodes = await page.locator('g.node').count()
  let logMs = null
  if (logLines > 0) {
    // The printed lines and the step's header line.
    const all = await page.waitForFunction((n) => Number((document.querySelector('.log-bar span')?.textContent ?? '').replace(/\D/g, '')) > n && performance.now(), logLines, {timeout: 120_000, polling: 'raf'})
    logMs = await all.jsonValue()
  }
  await page.close()
  return {drawnMs, graphMs, nodes, logMs}
}

/** Key presses every 50 ms for `seconds`; what arrived, their delays, and the log's lag behind the job. */
async function keyPresses(page, seconds) {
  await page.evaluate(() => {
    const w = window
    w.__keys = {count: 0, delays: []}
    if (w.__listening) return
    w.__listening = true
    addEventListener('keydown', (event) => {
      w.__keys.count++
      w.__keys.delays.push(performance.now() - event.timeStamp)
    }, {capture: true})
  })
  let sent = 0
  const until = Date.now() + seconds * 1000
  while (Date.now() < until) {
    await page.keyboard.press('Shift')
    sent++
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const keys = await page.evaluate(() => window.__keys)
  return {sent, received: keys.count, delays: keys.delays}
}

const rows = []
const baseline = []
const big = []
for (let i = 0; i < iterations; i++) {
  baseline.push(await firstRender('20261129T120000000Z-000003', 0))
  big.push(await firstRender('20261129T120000000Z-000200', LOG_LINES))
}
const drawnSmall = median(baseline.map((r) => r.drawnMs))
const graphSmall = median(baseline.map((r) => r.graphMs))
const drawnLarge = median(big.map((r) => r.drawnMs))
const graphLarge = median(big.map((r) => r.graphMs))
const logLarge = median(big.map((r) => r.logMs))
rows.push(['3-job run page drawn (baseline)', `${drawnSmall.toFixed(0)} ms`, '1.00x'])
rows.push(['  its graph drawn', `${graphSmall.toFixed(0)} ms`, `${(graphSmall / drawnSmall).toFixed(2)}x`])
rows.push(['200-job run page drawn (timeline, job panel)', `${drawnLarge.toFixed(0)} ms`, `${(drawnLarge / drawnSmall).toFixed(2)}x`])
rows.push([`  its graph drawn (${big[0].nodes} nodes, laid out in a worker)`, `${graphLarge.toFixed(0)} ms`, `${(graphLarge / drawnSmall).toFixed(2)}x`])
rows.push([`…and its ${LOG_LINES.toLocaleString()}-line log all in the view`, `${logLarge.toFixed(0)} ms`, `${(logLarge / drawnSmall).toFixed(2)}x`])

// Live: the idle page first (the baseline for input delay), then the same while a job prints 1,000 lines/s.
const page = await browser.newPage({viewport: {width: 1280, height: 900}})
await page.goto(`${serve.url}/#/`)
await page.locator('table.runs').waitFor()
const idle = await keyPresses(page, 5)
const started = await (await fetch(`${serve.url}/v1/runs`, {method: 'POST', headers: {'content-type': 'application/json'}, body: '{}'})).json()
await page.goto(`${serve.url}/#/runs/${started.id}/stream`)
await page.waitForFunction(() => /^[1-9]/.test(document.querySelector('.log-bar span')?.textContent ?? ''), undefined, {timeout: 60_000})
const live = await keyPresses(page, STREAM_SECONDS - 5)
await page.waitForFunction(() => document.querySelector('main[data-run]')?.getAttribute('data-status') !== 'running', undefined, {timeout: 120_000})
// Every printed line is in the view (plus the step's header line).
const shown = await page.waitForFunction((n) => {
  const count = Number((document.querySelector('.log-bar span')?.textContent ?? '').replace(/\D/g, ''))
  return count >= n && count
}, STREAM_SECONDS * 1000, {timeout: 30_000})
const shownLines = await shown.jsonValue()
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)]
rows.push(['key presses on the idle page (baseline): received/sent', `${idle.received}/${idle.sent}`, ''])
rows.push(['  delay, median / p95', `${median(idle.delays).toFixed(1)} / ${p95(idle.delays).toFixed(1)} ms`, '1.00x'])
rows.push([`key presses while the log follows 1,000 lines/s: received/sent`, `${live.received}/${live.sent}`, ''])
rows.push(['  delay, median / p95', `${median(live.delays).toFixed(1)} / ${p95(live.delays).toFixed(1)} ms`, `${(median(live.delays) / Math.max(0.1, median(idle.delays))).toFixed(2)}x`])
rows.push([`log lines in the view after the job ended (printed + header)`, `${shownLines} of ${STREAM_SECONDS * 1000 + 1}`, ''])

const version = browser.version()
await browser.close()
serve.child.kill('SIGTERM')
await new Promise((resolve) => serve.child.on('exit', resolve))
rmSync(project, {recursive: true, force: true})

const width = Math.max(...rows.map((r) => r[0].length))
console.log(`dashboard, ${iterations} page loads each (medians), Chromium ${version}`)
for (const [what, value, ratio] of rows) console.log(`${what.padEnd(width)}  ${value.padStart(18)}  ${ratio}`)
