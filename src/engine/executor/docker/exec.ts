import {Writable, type Duplex} from 'node:stream'
import {setTimeout as sleep} from 'node:timers/promises'
import type Docker from 'dockerode'
import {withTimeout} from './call.js'

export type StreamName = 'stdout' | 'stderr'
export type OutputListener = (stream: StreamName, chunk: Buffer) => void

export interface ExecOptions {
  cmd: string[]
  env: Record<string, string>
  workdir: string
  onOutput: OutputListener
  /** Settles when the caller gives up on the process (container killed); the stream may never end then. */
  abandon: Promise<void>
}

/** Splits a multiplexed (non-TTY) Docker stream into stdout and stderr chunks for `listener`. */
export function demux(docker: Docker, stream: Duplex, listener: OutputListener): void {
  const sink = (name: StreamName): Writable =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        listener(name, chunk)
        callback()
      },
    })
  docker.modem.demuxStream(stream, sink('stdout'), sink('stderr'))
}

/**
 * Runs a command in a running container, streaming what it writes to the exec's own stdout and
 * stderr; resolves to its exit code (null if unknown). The stream ends when the last holder of the
 * exec's output closes it: a background process that inherited it keeps it open, and Docker then
 * ends it 2 s after the command exits (why steps write to the container's output instead).
 */
export async function execInContainer(docker: Docker, container: Docker.Container, options: ExecOptions): Promise<number | null> {
  const exec = await withTimeout(
    container.exec({
      Cmd: joinStderrToStdout(options.cmd),
      Env: Object.entries(options.env).map(([key, value]) => `${key}=${value}`),
      WorkingDir: options.workdir,
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    }),
    'exec create',
  )
  const stream = await withTimeout(exec.start({hijack: true, stdin: false, Tty: false}), 'exec start')
  demux(docker, stream, options.onOutput)
  const ended = new Promise<void>((resolve, reject) => {
    stream.once('end', resolve)
    stream.once('close', resolve)
    stream.once('error', reject)
  })
  const abandoned = await Promise.race([ended.then(() => false), options.abandon.then(() => true)])
  if (abandoned) {
    stream.destroy()
    return null
  }
  return exitCode(exec)
}

/**
 * Runs `cmd` with its stderr on its stdout pipe. The engine reads the two pipes separately and frames
 * whatever each holds, so lines a step writes alternately to both arrive batched per stream, out of
 * the order they were written in (moby/moby#31706); one pipe keeps that order. `exec` replaces the
 * wrapping shell, so the step's process, exit code and signals are its own.
 */
export function joinStderrToStdout(cmd: string[]): string[] {
  return ['sh', '-c', 'exec "$@" 2>&1', 'sh', ...cmd]
}

/** Exit code from `exec.inspect()`, which may report `Running` or a null code for a moment after the stream ends. */
export async function exitCode(exec: Docker.Exec): Promise<number | null> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const info = await withTimeout(exec.inspect(), 'exec inspect')
    if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) return info.ExitCode
    await sleep(Math.min(10 * 2 ** attempt, 100))
  }
  return null
}
