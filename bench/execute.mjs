/* global fetch */
// POST /v1/execute of a trivial command (`true` in busybox) against the floor of the same work done
// bare through the engine's API (create, attach, start, wait, remove, no network), measured in the
// same run, interleaved:
//   latency: p50 and p99 of each, one at a time, and their ratio
//   throughput: executions per second with 4 clients at once, against 4 bare loops at once
// Prints the figures and ratios (docs/performance.md, "POST /v1/execute").
// Needs a built CLI (npm run build) and busybox:1.36. Usage: node bench/execute.mjs [iterations] [throughput seconds]
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath, pathToFileURL} from 'node:url'

import Docker from 'dockerode'

import {median, time} from './lib/stats.mjs'

const iterations = Number(process.argv[2] ?? 30)
const throughputSeconds = Number(process.argv[3] ?? 15)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dist = pathToFileURL(path.join(root, 'dist')).href
const {createServer} = await import(`${dist}/server/app.js`)
const {loadConfig} = await import(`${dist}/engine/config/load.js`)
const IMAGE = 'busybox:1.36'
const docker = new Docker()

const project = mkdtempSync(path.join(tmpdir(), 'orca-bench-execute-'))
writeFileSync(path.join(project, 'jobs.yml'), `version: 1\nimage: ${IMAGE}\njobs:\n  a: {}\n`)
// Limits far from the bench's load: it measures the path, not the abuse limits.
writeFileSync(path.join(project, 'orca.config.yml'), `serve:\n  execute:\n    images: [${IMAGE}]\n  limits:\n    requestsPerMinute: 1000000\n    concurrency: 64\n    cpuSecondsPerHour: 1000000\n`)
const config = await loadConfig({cwd: project, env: {}})
const server = await createServer({projectDir: project, config, env: process.env, orcaVersion: '0.0.0-bench'})
const {url} = await server.listen('127.0.0.1', 0)

async function viaApi() {
  const res = await fetch(`${url}/v1/execute`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({image: IMAGE, command: ['true']})})
  const body = await res.json()
  if (res.status !== 200 || body.exitCode !== 0) throw new Error(`execute answered ${res.status}: ${JSON.stringify(body)}`)
}

/** The floor: the same container life through the engine's API, nothing of orca's around it. */
async function bare() {
  const container = await docker.createContainer({Image: IMAGE, Cmd: ['true'], HostConfig: {NetworkMode: 'none'}, Labels: {'orca-bench': 'execute'}})
  try {
    const stream = await container.attach({stream: true, stdout: true, stderr: true})
    stream.resume()
    await container.start()
    await container.wait()
  } finally {
    await container.remove({force: true})
  }
}

const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]

async function throughput(fn, clients, seconds) {
  const end = performance.now() + seconds * 1000
  let done = 0
  await Promise.all(
    Array.from({length: clients}, async () => {
      while (performance.now() < end) {
        await fn()
        done++
      }
    }),
  )
  return done / seconds
}

try {
  // Warm both paths (the image, the engine connection, the server's first request).
  await viaApi()
  await bare()
  const samples = {api: [], bare: []}
  for (let i = 0; i < iterations; i++) {
    samples.bare.push(await time(bare))
    samples.api.push(await time(viaApi))
  }
  const p = (name, q) => percentile(samples[name], q)
  console.log(`${iterations} executions each, one at a time:`)
  console.log(`  bare create/attach/start/wait/remove: p50 ${Math.round(p('bare', 50))} ms, p99 ${Math.round(p('bare', 99))} ms (median ${Math.round(median(samples.bare))})`)
  console.log(`  POST /v1/execute:                     p50 ${Math.round(p('api', 50))} ms, p99 ${Math.round(p('api', 99))} ms (median ${Math.round(median(samples.api))})`)
  console.log(`  ratio: p50 ${(p('api', 50) / p('bare', 50)).toFixed(2)}x, p99 ${(p('api', 99) / p('bare', 99)).toFixed(2)}x`)
  const bareRate = await throughput(bare, 4, throughputSeconds)
  const apiRate = await throughput(viaApi, 4, throughputSeconds)
  console.log(`4 clients for ${throughputSeconds} s each: bare ${bareRate.toFixed(2)}/s, POST /v1/execute ${apiRate.toFixed(2)}/s, ratio ${(apiRate / bareRate).toFixed(2)}x`)
} finally {
  await server.shutdown('cancel')
  rmSync(project, {recursive: true, force: true})
}
