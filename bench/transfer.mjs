// One small transfer each way, through the engine's archive calls and through an exec of the
// container's tar (src/engine/executor/docker/exec-tar.ts), interleaved in one running container:
//   out: getArchive of a folder holding one small file    against  ExecTar.fetch of it
//   in:  putArchive of a tar with one small file          against  ExecTar.put of it
// Prints medians and the ratios (docs/performance.md, "Transfers through tar in the container").
// Needs a built CLI (npm run build) and busybox:1.36. Usage: node bench/transfer.mjs [iterations]
import {Buffer} from 'node:buffer'
import * as path from 'node:path'
import {Readable} from 'node:stream'
import {fileURLToPath, pathToFileURL} from 'node:url'

import Docker from 'dockerode'
import tar from 'tar-stream'

import {median, time} from './lib/stats.mjs'

const iterations = Number(process.argv[2] ?? 15)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const {ExecTar} = await import(pathToFileURL(path.join(root, 'dist/engine/executor/docker/exec-tar.js')).href)
const IMAGE = 'busybox:1.36'
const docker = new Docker()

/** A tar, in memory, of workspace/in/a.txt (a few bytes), to be extracted at `/`. */
async function smallArchive() {
  const pack = tar.pack()
  pack.entry({name: 'workspace/in/a.txt', mode: 0o644}, 'a few bytes\n')
  pack.finalize()
  const chunks = []
  for await (const chunk of pack) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks)
}

const drain = (stream) =>
  new Promise((resolve, reject) => {
    stream.on('end', resolve)
    stream.on('error', reject)
    stream.resume()
  })

const container = await docker.createContainer({Image: IMAGE, Cmd: ['sleep', '600'], HostConfig: {NetworkMode: 'none'}, Labels: {'orca-bench': 'transfer'}})
try {
  await container.start()
  const archive = await smallArchive()
  await container.putArchive(Readable.from([archive]), {path: '/'})
  const execTar = new ExecTar(docker)
  if (!(await execTar.usableIn(container, IMAGE))) throw new Error(`${IMAGE} has no usable tar`)
  const samples = {getArchive: [], execOut: [], putArchive: [], execIn: []}
  for (let i = 0; i < iterations; i++) {
    samples.getArchive.push(await time(async () => drain(await container.getArchive({path: '/workspace/in'}))))
    samples.execOut.push(await time(async () => drain(await execTar.fetch(container, '/workspace/in'))))
    samples.putArchive.push(await time(async () => container.putArchive(Readable.from([archive]), {path: '/'})))
    samples.execIn.push(await time(async () => execTar.put(container, Readable.from([archive]))))
  }
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]))
  console.log(`${iterations} iterations, medians:`)
  console.log(`  out: getArchive ${Math.round(m.getArchive)} ms, exec of tar ${Math.round(m.execOut)} ms   ratio ${(m.execOut / m.getArchive).toFixed(2)}×`)
  console.log(`  in:  putArchive ${Math.round(m.putArchive)} ms, exec of tar ${Math.round(m.execIn)} ms   ratio ${(m.execIn / m.putArchive).toFixed(2)}×`)
} finally {
  await container.remove({force: true})
}
