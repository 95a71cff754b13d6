import type Docker from 'dockerode'
import {withTimeout} from './call.js'
import {demux, execExitCode} from './exec.js'
import type {ShellTerminal} from '../types.js'

/** bash where the image has it (line editing, history), else sh. */
export const INTERACTIVE_SHELL = ['sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash; fi; exec sh']

export interface ShellExecOptions {
  /** The command: a shell by default. */
  cmd?: string[]
  env: Record<string, string>
  workdir: string
  user?: string
  /** Ends the shell's connection (the terminal went away): the process gets a hangup, as when an SSH session drops. */
  signal?: AbortSignal
}

/**
 * Runs a command in a running container with a pseudo-terminal attached to `terminal` (bytes both
 * ways, resized with it), or without one when `terminal.tty` is false (its stdout and stderr apart,
 * for scripts); resolves to its exit code once it ends.
 */
export async function execShell(docker: Docker, container: Docker.Container, terminal: ShellTerminal, options: ShellExecOptions): Promise<number | null> {
  if (terminal.tty === false) return execPlain(docker, container, terminal, options)
  const exec = await withTimeout(
    container.exec({
      Cmd: options.cmd ?? INTERACTIVE_SHELL,
      Env: [...Object.entries(options.env).map(([key, value]) => `${key}=${value}`), `TERM=${process.env.TERM ?? 'xterm'}`],
      WorkingDir: options.workdir,
      ...(options.user ? {User: options.user} : {}),
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
    }),
    'exec create',
  )
  const stream = await withTimeout(exec.start({hijack: true, stdin: true, Tty: true}), 'exec start')
  const resize = (): void => {
    const {columns, rows} = terminal.size()
    exec.resize({w: columns, h: rows}).catch(() => undefined)
  }
  const forward = (chunk: Buffer): void => {
    stream.write(chunk)
  }
  terminal.input.on('data', forward)
  stream.pipe(terminal.output as NodeJS.WritableStream, {end: false})
  const stopResizing = terminal.onResize(resize)
  // The exec's terminal has its size only once it runs.
  resize()
  const hangUp = (): void => {
    stream.destroy()
  }
  options.signal?.addEventListener('abort', hangUp, {once: true})
  try {
    await ended(stream)
  } finally {
    options.signal?.removeEventListener('abort', hangUp)
    stopResizing()
    terminal.input.off('data', forward)
    stream.unpipe(terminal.output as NodeJS.WritableStream)
  }
  return execExitCode(exec)
}

async function execPlain(docker: Docker, container: Docker.Container, terminal: ShellTerminal, options: ShellExecOptions): Promise<number | null> {
  const exec = await withTimeout(
    container.exec({
      Cmd: options.cmd ?? INTERACTIVE_SHELL,
      Env: Object.entries(options.env).map(([key, value]) => `${key}=${value}`),
      WorkingDir: options.workdir,
      ...(options.user ? {User: options.user} : {}),
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    }),
    'exec create',
  )
  const stream = await withTimeout(exec.start({hijack: true, stdin: false, Tty: false}), 'exec start')
  demux(docker, stream, (name, chunk) => (name === 'stderr' ? (terminal.errorOutput ?? terminal.output) : terminal.output).write(chunk))
  await ended(stream)
  return execExitCode(exec)
}

function ended(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    stream.once('end', resolve)
    stream.once('close', resolve)
    stream.once('error', reject)
  })
}
