/* global AbortController */
// Executor overhead: bare dockerode lifecycle vs DockerExecutor.runJob, interleaved.
// Build first (npm run build, or ORCA_DIST=<outDir> after `tsc -p tsconfig.build.json --outDir <outDir>`),
// then: node bench/executor-overhead.mjs [iterations]
// ORCA_BASELINE_DIST=<another build>/dist adds that build's DockerExecutor, taking its turn in every
// iteration, so a change is measured against the code before it in the same run.
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import {pathToFileURL} from 'node:url'

import {median, time} from './lib/stats.mjs'

const IMAGE = 'busybox:1.36'
const iterations = Number(process.argv[2] ?? 15)
const dist = process.env.ORCA_DIST ? pathToFileURL(path.resolve(process.env.ORCA_DIST)).href : new URL('../dist/', import.meta.url).href
const {connectDocker} = await import(`${dist}/engine/executor/docker/index.js`)

const executor = await connectDocker({})
const baselineDist = process.env.ORCA_BASELINE_DIST ? pathToFileURL(path.resolve(process.env.ORCA_BASELINE_DIST)).href : undefined
const baseline = baselineDist && (await (await import(`${baselineDist}/engine/executor/docker/index.js`)).connectDocker({}))
const docker = executor.docker
const scratch = await mkdtemp(path.join(tmpdir(), 'orca-bench-'))

async function bare() {
  const container = await docker.createContainer({Image: IMAGE, Cmd: ['true'], HostConfig: {NetworkMode: 'none'}})
  await container.start()
  await container.wait()
  await container.remove({force: true})
}

function job(steps) {
  return {
    name: 'bench', image: IMAGE, needs: [], env: {}, secrets: [], workdir: '/workspace', timeoutMs: 60_000,
    cleanup: 'always_remove', cache: false, resources: {}, network: 'none', volumes: {}, artifacts: [],
    steps: Array.from({length: steps}, (_, i) => ({name: `s${i}`, run: 'true', env: {}, allowFailure: false})),
  }
}

// The floor of a step: one raw exec of `true` in a running container, stream drained, exit code read.
async function rawExec(container) {
  const exec = await container.exec({Cmd: ['true'], AttachStdout: true, AttachStderr: true})
  const stream = await exec.start({hijack: true, stdin: false})
  await new Promise((resolve) => {
    stream.on('end', resolve)
    stream.on('close', resolve)
    stream.resume()
  })
  let info
  do info = await exec.inspect()
  while (info.Running || info.ExitCode === null)
}

let runs = 0
async function viaExecutor(steps, through = executor) {
  // No needs' artifacts, in the shapes of builds before and after artifacts went by digest.
  const outcome = await through.runJob({
    runId: `bench-${process.pid}-${runs++}`, job: job(steps), projectDir: scratch, inputFiles: [], artifactDirs: [], needArtifacts: [],
    artifactsDir: path.join(scratch, 'artifacts'), env: {}, cleanup: 'always_remove',
    cancel: new AbortController().signal, force: new AbortController().signal, emit() {},
  })
  if (outcome.status !== 'succeeded') throw new Error(`bench job ${outcome.status}: ${outcome.error?.message}`)
}

try {
  await executor.prepare([IMAGE], {signal: new AbortController().signal})
  await bare() // warm-up
  await viaExecutor(1)
  if (baseline) await viaExecutor(1, baseline)
  const idle = await docker.createContainer({Image: IMAGE, Cmd: ['sleep', '3600'], HostConfig: {NetworkMode: 'none', Init: true}})
  await idle.start()
  const samples = {bare: [], one: [], five: [], exec: [], baseOne: [], baseFive: []}
  try {
    for (let i = 0; i < iterations; i++) {
      samples.bare.push(await time(bare))
      samples.one.push(await time(() => viaExecutor(1)))
      samples.five.push(await time(() => viaExecutor(5)))
      samples.exec.push(await time(() => rawExec(idle)))
      if (baseline) {
        samples.baseOne.push(await time(() => viaExecutor(1, baseline)))
        samples.baseFive.push(await time(() => viaExecutor(5, baseline)))
      }
    }
  } finally {
    await idle.remove({force: true})
  }
  const m = {bare: median(samples.bare), one: median(samples.one), five: median(samples.five), exec: median(samples.exec)}
  const ratio = m.one / m.bare
  const perStep = (m.five - m.one) / 4
  console.log(`iterations: ${iterations} (interleaved), image ${IMAGE}, network none`)
  console.log(`bare dockerode create/start/wait/remove: ${m.bare.toFixed(0)} ms (median)`)
  console.log(`DockerExecutor.runJob, 1 step:           ${m.one.toFixed(0)} ms (median)`)
  console.log(`DockerExecutor.runJob, 5 steps:          ${m.five.toFixed(0)} ms (median)`)
  console.log(`ratio 1-step job / bare: ${ratio.toFixed(2)}x (goal <= 1.3x)`)
  console.log(`cost per extra step: ${perStep.toFixed(0)} ms (goal <= 70 ms)`)
  console.log(`raw exec of \`true\` in a running container (the floor of a step): ${m.exec.toFixed(0)} ms (median)`)
  if (baseline) {
    const baseOne = median(samples.baseOne)
    const baseFive = median(samples.baseFive)
    console.log(`baseline DockerExecutor.runJob, 1 step:  ${baseOne.toFixed(0)} ms (median); this build / baseline: ${(m.one / baseOne).toFixed(3)}x`)
    console.log(`baseline DockerExecutor.runJob, 5 steps: ${baseFive.toFixed(0)} ms (median); this build / baseline: ${(m.five / baseFive).toFixed(3)}x`)
  }
} finally {
  await executor.cleanup(`bench-${process.pid}`).catch(() => undefined)
  await rm(scratch, {recursive: true, force: true})
}
