/* global fetch, setTimeout, Buffer */
// orca serve: GET /v1/runs with 1,000 stored runs, and SSE fan-out of one run to 100 clients.
// Build first (npm run build, or ORCA_DIST=<outDir> after `tsc -p tsconfig.build.json --outDir <outDir>`),
// then: node bench/serve.mjs [seconds-per-measure]
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {Agent, request} from 'node:http'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import {performance} from 'node:perf_hooks'
import {pathToFileURL} from 'node:url'

const seconds = Number(process.argv[2] ?? 5)
const dist = process.env.ORCA_DIST ? pathToFileURL(path.resolve(process.env.ORCA_DIST)).href : new URL('../dist/', import.meta.url).href
const {createServer} = await import(`${dist}/server/app.js`)
const {loadConfig} = await import(`${dist}/engine/config/load.js`)

const project = mkdtempSync(path.join(tmpdir(), 'orca-bench-serve-'))
writeFileSync(path.join(project, 'jobs.yml'), 'version: 1\nimage: busybox:1.36\njobs:\n  work:\n    steps: ["true"]\n')
const runsDir = path.join(project, '.orca/runs')

// 1,000 finished runs of three jobs each, as run.json files of a realistic size (~2 KB).
function seed(count) {
  const start = Date.UTC(2026, 0, 1)
  for (let i = 0; i < count; i++) {
    const at = new Date(start + i * 60_000)
    const id = `${at.toISOString().replace(/[-:]/g, '').replace('.', '')}-${i.toString(16).padStart(6, '0')}`
    const job = (name) => ({
      status: 'succeeded', key: 'a'.repeat(64), cache: 'miss', image: 'busybox:1.36', imageId: `sha256:${'b'.repeat(64)}`,
      containerId: 'c'.repeat(64), startedAt: at.toISOString(), finishedAt: at.toISOString(), durationMs: 1200,
      steps: [{index: 0, name: `${name} step`, status: 'succeeded', exitCode: 0, startedAt: at.toISOString(), durationMs: 900, allowFailure: false}],
      artifacts: [{path: `out/${name}.txt`, size: 12, sha256: 'd'.repeat(64)}], cleanup: 'removed', error: null, skippedReason: null,
    })
    const record = {
      id, status: 'succeeded', targets: [], file: path.join(project, 'jobs.yml'), projectDir: project, host: 'bench', pid: 1,
      orcaVersion: '0.1.0', startedAt: at.toISOString(), finishedAt: at.toISOString(), durationMs: 4000, error: null, lastSeq: 20,
      jobs: {build: job('build'), test: job('test'), lint: job('lint')},
    }
    mkdirSync(path.join(runsDir, id), {recursive: true})
    writeFileSync(path.join(runsDir, id, 'run.json'), JSON.stringify(record, null, 2))
  }
}

// A job that waits for `go`, then prints `lines` lines, one every `everyMs`: the events fanned out.
let go
const ready = new Promise((resolve) => (go = resolve))
function printingExecutor(lines, everyMs) {
  return async () => ({
    async prepare() {
      return new Map()
    },
    async runJob(ctx) {
      await ready
      ctx.emit({type: 'step.started', step: 0, name: 'print'})
      for (let i = 0; i < lines; i++) {
        await new Promise((r) => setTimeout(r, everyMs))
        ctx.emit({type: 'step.output', step: 0, stream: 'stdout', chunk: Buffer.from(`line ${i}\n`)})
      }
      const step = {index: 0, name: 'print', status: 'succeeded', exitCode: 0, durationMs: lines * everyMs, allowFailure: false}
      ctx.emit({type: 'step.finished', result: step})
      return {status: 'succeeded', steps: [step], artifacts: [], cleanup: 'removed'}
    },
    async cleanup() {},
    async findLeaks() {
      return []
    },
  })
}

function get(agent, port, urlPath) {
  return new Promise((resolve, reject) => {
    const req = request({host: '127.0.0.1', port, path: urlPath, agent}, (res) => {
      let bytes = 0
      res.on('data', (c) => (bytes += c.length))
      res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`status ${res.statusCode}`))))
    })
    req.on('error', reject)
    req.end()
  })
}

// A bounded loop: `connections` keep-alive clients issue requests back to back for `seconds`.
async function throughput(port, urlPath, connections) {
  const agent = new Agent({keepAlive: true, maxSockets: connections})
  const until = performance.now() + seconds * 1000
  const latencies = []
  let bytes = 0
  await Promise.all(
    Array.from({length: connections}, async () => {
      while (performance.now() < until) {
        const t = performance.now()
        const received = await get(agent, port, urlPath)
        bytes += received
        latencies.push(performance.now() - t)
      }
    }),
  )
  agent.destroy()
  latencies.sort((a, b) => a - b)
  return {
    reqPerSec: latencies.length / seconds,
    p50: latencies[Math.floor(latencies.length * 0.5)],
    p99: latencies[Math.floor(latencies.length * 0.99)],
    kbPerReply: bytes / latencies.length / 1024,
  }
}

// 100 SSE clients of one live run: for each event, the time from its emission until the last client has it.
async function fanOut(server, port, clients) {
  const res = await fetch(`http://127.0.0.1:${port}/v1/runs`, {method: 'POST', headers: {'content-type': 'application/json'}, body: '{}'})
  const {id} = await res.json()
  const emitted = new Map()
  server.runs.liveEvents(id).subscribe(0, (event) => emitted.set(event.seq, performance.now()))
  const lastArrival = new Map()
  const agent = new Agent({keepAlive: true, maxSockets: clients})
  let connected = 0
  const streams = Array.from({length: clients}, () => new Promise((resolve, reject) => {
    const req = request({host: '127.0.0.1', port, path: `/v1/runs/${id}/events`, agent}, (stream) => {
      let buffer = ''
      stream.setEncoding('utf8')
      // The job starts printing once every client is connected.
      if (++connected === clients) go()
      stream.on('data', (text) => {
        const now = performance.now()
        buffer += text
        let end
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const match = /^id: (\d+)$/m.exec(buffer.slice(0, end))
          buffer = buffer.slice(end + 2)
          if (match) lastArrival.set(Number(match[1]), Math.max(lastArrival.get(Number(match[1])) ?? 0, now))
        }
      })
      stream.on('end', resolve)
    })
    req.on('error', reject)
    req.end()
  }))
  await Promise.all(streams)
  agent.destroy()
  // run.started and job.started were replayed to late joiners: measure the job's own events.
  const delays = [...lastArrival].filter(([seq]) => emitted.has(seq) && seq > 2).map(([seq, at]) => at - emitted.get(seq)).sort((a, b) => a - b)
  return {events: delays.length, p50: delays[Math.floor(delays.length * 0.5)], p99: delays[Math.floor(delays.length * 0.99)], max: delays.at(-1)}
}

const fmt = (ms) => `${ms.toFixed(1)} ms`
try {
  seed(1000)
  const config = await loadConfig({cwd: project, env: {}})
  const server = await createServer({projectDir: project, config, env: {}, orcaVersion: '0.1.0', executor: printingExecutor(200, 20)})
  const {port} = await server.listen('127.0.0.1', 0)

  const agent = new Agent({keepAlive: true})
  let t = performance.now()
  const newest = JSON.parse((await fetch(`http://127.0.0.1:${port}/v1/runs?limit=1`).then((r) => r.text()))).runs[0].id
  await get(agent, port, '/v1/runs?limit=1000')
  const cold = performance.now() - t
  agent.destroy()
  console.log(`first GET /v1/runs?limit=1000 (reads 1,000 run.json): ${fmt(cold)}`)
  for (const [label, urlPath] of [['GET /v1/runs (default page: 100 records)', '/v1/runs'], ['GET /v1/runs?limit=1000 (every record)', '/v1/runs?limit=1000'], ['GET /v1/runs/{id}', `/v1/runs/${newest}`]]) {
    const r = await throughput(port, urlPath, 10)
    console.log(`${label}: ${r.reqPerSec.toFixed(0)} req/s, p50 ${fmt(r.p50)}, p99 ${fmt(r.p99)}, ${r.kbPerReply.toFixed(0)} KB/reply (10 keep-alive connections, ${seconds}s)`)
  }
  t = performance.now()
  const f = await fanOut(server, port, 100)
  console.log(`SSE fan-out, 100 clients, ${f.events} events (one every 20 ms): emitted → received by all 100: p50 ${fmt(f.p50)}, p99 ${fmt(f.p99)}, max ${fmt(f.max)} (${fmt(performance.now() - t)} total)`)
  await server.shutdown('cancel')
} finally {
  rmSync(project, {recursive: true, force: true})
}
