import {randomBytes} from 'node:crypto'
import {Writable, type Readable} from 'node:stream'

import type Docker from 'dockerode'
import * as tar from 'tar-stream'

import {OrcaError} from '../errors.js'
import {readContainerBytes} from '../executor/docker/artifacts.js'
import {withTimeout} from '../executor/docker/call.js'
import {hardenedHostConfig, LABEL, ownerLabels} from '../executor/docker/container-spec.js'
import {ensureImage} from '../executor/docker/images.js'
import {removeContainer} from '../executor/docker/resources.js'
import type {ProjectIdentity} from '../project-identity.js'
import {CappedOutput, classifyLimit, workdirPath, type ExecuteLimits, type LimitHit} from './execute-limits.js'

/** Where the files of an execution go, and where it runs. */
export const EXECUTE_WORKDIR = '/work'
/** The job label of execution containers (their run label is `execute-<id>`). */
export const EXECUTE_JOB = 'execute'

export interface ExecuteRequest {
  image: string
  /** Run as is (argv), or `snippet` through `sh -c`: exactly one of the two. */
  command?: string[]
  snippet?: string
  /** Written under the workdir before the command starts. */
  files?: Array<{path: string; content: Buffer; mode?: number}>
  /** Files under the workdir to send back (regular files only). */
  collect?: string[]
  env?: Record<string, string>
  limits: ExecuteLimits
}

export type CollectedFile = {path: string; size: number; content: Buffer} | {path: string; error: string}

export interface ExecuteResult {
  id: string
  /** null when orca stopped it (timeout, output) before it exited on its own. */
  exitCode: number | null
  stdout: Buffer
  stderr: Buffer
  durationMs: number
  limit: LimitHit
  files: CollectedFile[]
  /** What the execution is charged against the caller's quota: its CPU limit times its duration. */
  cpuSeconds: number
}

export interface ExecuteContext {
  docker: Docker
  project: ProjectIdentity
  /** All collected files together at most. */
  maxCollectBytes: number
  /** Aborts the execution (its container is removed all the same). */
  signal?: AbortSignal
}

// Runs the command as a child, then reads, with shell builtins only (no fork is left at the pids
// limit), how many forks the cgroup's pids limit refused and how many processes the kernel's OOM
// killer ended in the cgroup (cgroup v2, else v1), and writes both last on stderr after a marker no
// caller can guess. $0 is the marker, "$@" the command. The kernel's own count is read because the
// engine's OOMKilled flag comes from an event that can arrive after the container is inspected.
const WRAPPER =
  '"$@"; s=$?; n=; m=; for f in /sys/fs/cgroup/pids.events /sys/fs/cgroup/pids/pids.events; do ' +
  '[ -r "$f" ] && while read -r k v; do [ "$k" = max ] && n=$v; done < "$f"; done; ' +
  'for f in /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control; do ' +
  '[ -r "$f" ] && while read -r k v; do [ "$k" = oom_kill ] && m=$v; done < "$f"; done; ' +
  'echo "$0 pids-refused=${n:-?} oom-kills=${m:-?}" >&2; exit $s'
const MARKER_SLACK = 100

/**
 * Runs one command in a fresh container under the execution's limits and removes the container,
 * whatever happens. Hardened as a job's container is; labelled with this process as its owner, so
 * `orca clean --leaks` removes it if the process dies first.
 */
export async function execute(request: ExecuteRequest, context: ExecuteContext): Promise<ExecuteResult> {
  const {docker, project, signal} = context
  const {limits} = request
  const argv = request.command ?? (request.snippet === undefined ? undefined : ['sh', '-c', request.snippet])
  if (argv === undefined || argv.length === 0 || (request.command !== undefined && request.snippet !== undefined)) {
    throw new OrcaError('usage', 'give either command (an argv) or snippet (a sh script), not both')
  }
  const files = (request.files ?? []).map((file, index) => ({...file, path: workdirPath(file.path, `files[${index}].path`)}))
  const collect = (request.collect ?? []).map((file, index) => workdirPath(file, `collect[${index}]`))
  const id = randomBytes(8).toString('hex')
  const marker = `orca-${randomBytes(12).toString('hex')}`
  const imageId = await ensureImage(docker, request.image, signal ?? new AbortController().signal)

  const container = await withTimeout(
    docker.createContainer({
      name: `orca-execute-${id}`,
      Image: imageId,
      Entrypoint: ['sh', '-c', WRAPPER, marker],
      Cmd: argv,
      WorkingDir: EXECUTE_WORKDIR,
      Env: Object.entries(request.env ?? {}).map(([name, value]) => `${name}=${value}`),
      Tty: false,
      OpenStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Labels: {...ownerLabels(`execute-${id}`, EXECUTE_JOB, project), [LABEL.policy]: 'always_remove'},
      HostConfig: {
        ...hardenedHostConfig({cpus: limits.cpus, memoryBytes: limits.memoryBytes, pids: limits.pids}, limits.network ? 'bridge' : 'none'),
        // No swap beyond the memory limit: a program over it is killed rather than slowed to a crawl.
        MemorySwap: limits.memoryBytes,
      },
    }),
    'create container',
  )
  try {
    if (files.length > 0) await withTimeout(container.putArchive(filesArchive(files), {path: '/'}), 'copy files in')
    let timedOut = false
    const kill = (): void => void container.kill({signal: 'SIGKILL'}).catch(() => undefined)
    const output = new CappedOutput(limits.outputBytes, MARKER_SLACK, kill)
    const stream = (await withTimeout(container.attach({stream: true, stdout: true, stderr: true}), 'attach')) as unknown as Readable
    const ended = new Promise<void>((resolve) => {
      stream.on('end', resolve)
      stream.on('close', resolve)
      stream.on('error', () => resolve())
    })
    docker.modem.demuxStream(stream, sink((chunk) => output.write('stdout', chunk)), sink((chunk) => output.write('stderr', chunk)))
    const started = performance.now()
    await withTimeout(container.start(), 'start container')
    const timer = setTimeout(() => {
      timedOut = true
      kill()
    }, limits.timeoutMs)
    const onAbort = (): void => kill()
    signal?.addEventListener('abort', onAbort, {once: true})
    let status: {StatusCode: number}
    try {
      status = (await container.wait()) as {StatusCode: number}
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
    const durationMs = performance.now() - started
    // The attach stream ends once the engine has passed on the last output.
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 2000))])
    const state = ((await withTimeout(container.inspect(), 'inspect container')) as {State: {OOMKilled?: boolean}}).State
    const {stderr, pidsRefused, oomKills} = takeMarker(output.text('stderr'), marker)
    const stdout = output.text('stdout')
    // The marker's slack is orca's, not the caller's: anything past the cap is cut and counts as over it.
    const outputExceeded = output.overflowed || stdout.length + stderr.length > limits.outputBytes
    const limit = classifyLimit({outputExceeded, timedOut, oomKilled: state.OOMKilled === true || (oomKills ?? 0) > 0, pidsRefused})
    const stoppedByOrca = limit === 'output' || limit === 'timeout'
    return {
      id,
      exitCode: stoppedByOrca ? null : status.StatusCode,
      ...capBoth(stdout, stderr, limits.outputBytes),
      durationMs: Math.round(durationMs),
      limit,
      files: await collectFiles(container, collect, context.maxCollectBytes),
      cpuSeconds: (limits.cpus * durationMs) / 1000,
    }
  } finally {
    await removeContainer(container)
  }
}

/** Takes orca's last line off stderr and reads the count of refused forks from it. */
export function takeMarker(stderr: Buffer, marker: string): {stderr: Buffer; pidsRefused: number | undefined; oomKills: number | undefined} {
  const text = stderr.toString('latin1')
  const at = text.lastIndexOf(`${marker} pids-refused=`)
  if (at === -1) return {stderr, pidsRefused: undefined, oomKills: undefined}
  const line = /^\S+ pids-refused=(\d+|\?)(?: oom-kills=(\d+|\?))?\n?/.exec(text.slice(at))
  const count = (value: string | undefined): number | undefined => (value === undefined || value === '?' ? undefined : Number(value))
  return {
    stderr: Buffer.concat([stderr.subarray(0, at), stderr.subarray(at + (line?.[0].length ?? 0))]),
    pidsRefused: count(line?.[1]),
    oomKills: count(line?.[2]),
  }
}

function capBoth(stdout: Buffer, stderr: Buffer, cap: number): {stdout: Buffer; stderr: Buffer} {
  const out = stdout.subarray(0, cap)
  return {stdout: out, stderr: stderr.subarray(0, cap - out.length)}
}

async function collectFiles(container: Docker.Container, paths: string[], maxBytes: number): Promise<CollectedFile[]> {
  const collected: CollectedFile[] = []
  let left = maxBytes
  for (const file of paths) {
    try {
      const content = await readContainerBytes(container, `${EXECUTE_WORKDIR}/${file}`, left)
      left -= content.length
      collected.push({path: file, size: content.length, content})
    } catch (error) {
      const message = (error as {statusCode?: number}).statusCode === 404 ? 'no such file' : (error as Error).message.replace(`${EXECUTE_WORKDIR}/`, '')
      collected.push({path: file, error: message.includes('the limit is') ? `${message} (left of serve.execute.maxCollectBytes)` : message})
    }
  }
  return collected
}

/** A tar of the request's files under the workdir, parent folders first, writable by any user. */
function filesArchive(files: Array<{path: string; content: Buffer; mode?: number}>): Readable {
  const pack = tar.pack()
  const dirs = new Set<string>([EXECUTE_WORKDIR.slice(1)])
  for (const file of files) {
    const parts = file.path.split('/')
    for (let i = 1; i < parts.length; i++) dirs.add(`${EXECUTE_WORKDIR.slice(1)}/${parts.slice(0, i).join('/')}`)
  }
  for (const dir of [...dirs].sort()) pack.entry({name: `${dir}/`, type: 'directory', mode: 0o777})
  for (const file of files) pack.entry({name: `${EXECUTE_WORKDIR.slice(1)}/${file.path}`, mode: (file.mode ?? 0o644) & 0o777, size: file.content.length}, file.content)
  pack.finalize()
  return pack as unknown as Readable
}

function sink(onChunk: (chunk: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      onChunk(chunk)
      done()
    },
  })
}
