/* global AbortController, setTimeout */
// The cost of a service beside a job: DockerExecutor.runJob of a one-step job with one service, against
// the same lifecycle done with the raw Docker API (network, service and job container, one exec,
// removal), and each against the same job without the service. Interleaved, medians.
// Build first (npm run build), then: node bench/services.mjs [iterations]
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import {pathToFileURL} from 'node:url'

import {median, time} from './lib/stats.mjs'

const IMAGE = 'busybox:1.36'
const iterations = Number(process.argv[2] ?? 10)
const dist = process.env.ORCA_DIST ? pathToFileURL(path.resolve(process.env.ORCA_DIST)).href : new URL('../dist/', import.meta.url).href
const {connectDocker} = await import(`${dist}/engine/executor/docker/index.js`)
const {listeningScript} = await import(`${dist}/engine/executor/docker/services.js`)

const executor = await connectDocker({})
const docker = executor.docker
const scratch = await mkdtemp(path.join(tmpdir(), 'orca-bench-'))
const label = {'orca-bench': String(process.pid)}

// Two services, each the same in both paths: ready once started, or once it listens on a port.
const SERVICES = {
  started: {command: ['sh', '-c', 'exec sleep 600'], ready: {kind: 'default'}},
  tcp: {command: ['sh', '-c', 'mkdir -p /www && exec httpd -f -p 8080 -h /www'], ready: {kind: 'tcp', port: 8080}},
}
const INTERVAL_MS = 100

function service(kind) {
  return {name: 'svc', image: IMAGE, env: {}, secrets: [], aliases: [], readyTimeoutMs: 30_000, readyIntervalMs: INTERVAL_MS, resources: {}, ...SERVICES[kind]}
}

function job(kind) {
  return {
    name: 'bench', image: IMAGE, needs: [], env: {}, secrets: [], workdir: '/workspace', timeoutMs: 60_000,
    cleanup: 'always_remove', cache: false, resources: {}, network: 'bridge', volumes: {}, artifacts: [],
    services: kind === undefined ? {} : {svc: service(kind)},
    steps: [{name: 's', run: 'true', env: {}, allowFailure: false}],
  }
}

let runs = 0
async function viaExecutor(kind) {
  const outcome = await executor.runJob({
    runId: `bench-${process.pid}-${runs++}`, job: job(kind), projectDir: scratch, inputFiles: [], artifactDirs: [],
    artifactsDir: path.join(scratch, 'artifacts'), env: {}, cleanup: 'always_remove',
    cancel: new AbortController().signal, force: new AbortController().signal, emit() {},
  })
  if (outcome.status !== 'succeeded') throw new Error(`bench job ${outcome.status}: ${outcome.error?.message}`)
}

async function exec(container, cmd) {
  const run = await container.exec({Cmd: cmd, AttachStdout: true, AttachStderr: true})
  const stream = await run.start({hijack: true, stdin: false})
  await new Promise((resolve) => {
    stream.on('end', resolve)
    stream.on('close', resolve)
    stream.resume()
  })
  let info
  do info = await run.inspect()
  while (info.Running || info.ExitCode === null)
  return info.ExitCode
}

// The same work with dockerode alone: the job's container on the default bridge, or on a network of
// its own beside the service, which starts at the same time and is waited for the same way.
async function raw(kind) {
  const name = `orca-bench-${process.pid}-${runs++}`
  let network
  let svc
  if (kind !== undefined) {
    network = await docker.createNetwork({Name: name, Driver: 'bridge', Labels: label})
    svc = await docker.createContainer({
      name: `${name}-svc`, Image: IMAGE, Cmd: SERVICES[kind].command, Labels: label,
      HostConfig: {NetworkMode: name, Init: true}, NetworkingConfig: {EndpointsConfig: {[name]: {Aliases: ['svc']}}},
    })
    await svc.start()
  }
  const container = await docker.createContainer({
    name, Image: IMAGE, Cmd: ['sleep', '3600'], Labels: label, HostConfig: {NetworkMode: network ? name : 'bridge', Init: true},
  })
  await container.start()
  if (kind === 'tcp') {
    while ((await exec(svc, ['sh', '-c', listeningScript(8080)])) !== 0) await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS))
  }
  await exec(container, ['true'])
  await Promise.all([container.remove({force: true, v: true}), svc?.remove({force: true, v: true})])
  if (network) await network.remove()
}

try {
  await executor.prepare([IMAGE], {signal: new AbortController().signal})
  await raw('started') // warm-up
  await viaExecutor('started')
  const cases = [
    ['raw, no service', () => raw()],
    ['raw, service ready when started', () => raw('started')],
    ['raw, service ready on its port', () => raw('tcp')],
    ['orca, no service', () => viaExecutor()],
    ['orca, service ready when started', () => viaExecutor('started')],
    ['orca, service ready on its port', () => viaExecutor('tcp')],
  ]
  const samples = new Map(cases.map(([name]) => [name, []]))
  for (let i = 0; i < iterations; i++) for (const [name, fn] of cases) samples.get(name).push(await time(fn))
  const m = Object.fromEntries([...samples].map(([name, xs]) => [name, median(xs)]))
  console.log(`iterations: ${iterations} (interleaved), image ${IMAGE}, one-step job, readiness checked every ${INTERVAL_MS} ms`)
  for (const [name] of cases) console.log(`${name.padEnd(34)} ${m[name].toFixed(0).padStart(5)} ms (median)`)
  for (const kind of ['started', 'tcp']) {
    const what = kind === 'started' ? 'service ready when started' : 'service ready on its port'
    const orca = m[`orca, ${what}`]
    const bare = m[`raw, ${what}`]
    console.log(`${what}: orca / raw ${(orca / bare).toFixed(2)}x; the service adds ${(orca - m['orca, no service']).toFixed(0)} ms to an orca job, ${(bare - m['raw, no service']).toFixed(0)} ms to the raw one`)
  }
} finally {
  await executor.cleanup(`bench-${process.pid}`).catch(() => undefined)
  for (const info of await docker.listContainers({all: true, filters: {label: [`orca-bench=${process.pid}`]}})) await docker.getContainer(info.Id).remove({force: true})
  for (const info of await docker.listNetworks({filters: {label: [`orca-bench=${process.pid}`]}})) await docker.getNetwork(info.Id).remove()
  await rm(scratch, {recursive: true, force: true})
}
