/* global AbortController */
// Where steps write their output: the container's own output (default) vs each step's exec, interleaved.
// Build first (npm run build, or ORCA_DIST=<outDir>), then: node bench/step-output.mjs [iterations]
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import {performance} from 'node:perf_hooks'
import {pathToFileURL} from 'node:url'

import {median} from './lib/stats.mjs'

const IMAGE = 'busybox:1.36'
const iterations = Number(process.argv[2] ?? 10)
const dist = process.env.ORCA_DIST ? pathToFileURL(path.resolve(process.env.ORCA_DIST)).href : new URL('../dist/', import.meta.url).href
const {connectDocker} = await import(`${dist}/engine/executor/docker/index.js`)

const paths = ['container', 'exec']
const executors = Object.fromEntries(await Promise.all(paths.map(async (p) => [p, await connectDocker({stepOutput: p})])))
const scratch = await mkdtemp(path.join(tmpdir(), 'orca-bench-'))

const jobs = {
  'one step `true`': ['true'],
  'five steps `true`': ['true', 'true', 'true', 'true', 'true'],
  'step leaving `sleep 30 &`, then `true`': ['sleep 30 & echo started', 'true'],
}

function job(runs) {
  return {
    name: 'bench', image: IMAGE, needs: [], env: {}, secrets: [], workdir: '/workspace', timeoutMs: 60_000,
    cleanup: 'always_remove', cache: false, resources: {}, network: 'none', volumes: {}, artifacts: [],
    steps: runs.map((run, i) => ({name: `s${i}`, run, env: {}, allowFailure: false})),
  }
}

let runs = 0
async function timeJob(executor, steps) {
  const start = performance.now()
  const outcome = await executor.runJob({
    runId: `bench-${process.pid}-${runs++}`, job: job(steps), projectDir: scratch, inputFiles: [], artifactDirs: [],
    artifactsDir: path.join(scratch, 'artifacts'), env: {}, cleanup: 'always_remove',
    cancel: new AbortController().signal, force: new AbortController().signal, emit() {},
  })
  if (outcome.status !== 'succeeded') throw new Error(`bench job ${outcome.status}: ${outcome.error?.message}`)
  return performance.now() - start
}

try {
  await executors.exec.prepare([IMAGE], {signal: new AbortController().signal})
  await timeJob(executors.container, ['true']) // warm-up
  const samples = {}
  for (let i = 0; i < iterations; i++) {
    for (const [name, steps] of Object.entries(jobs)) {
      for (const p of paths) (samples[`${name}|${p}`] ??= []).push(await timeJob(executors[p], steps))
    }
  }
  console.log(`${iterations} iterations, medians (ms); ratio = container output / exec output`)
  console.log('| job | steps write to the container output | steps write to their exec | ratio |')
  console.log('| --- | --- | --- | --- |')
  for (const name of Object.keys(jobs)) {
    const container = median(samples[`${name}|container`])
    const exec = median(samples[`${name}|exec`])
    console.log(`| ${name} | ${Math.round(container)} | ${Math.round(exec)} | ${(container / exec).toFixed(2)}× |`)
  }
} finally {
  await rm(scratch, {recursive: true, force: true})
}
