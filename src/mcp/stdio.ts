import {StdioServerTransport} from '@modelcontextprotocol/sdk/server/stdio.js'

import type {Executor} from '../engine/executor/types.js'
import {LiveRuns} from './live-runs.js'
import {McpProject, type McpProjectLocation} from './project.js'
import {createOrcaMcpServer} from './server.js'
import type {ToolContext} from './tool.js'

export interface McpStdioOptions {
  location: McpProjectLocation
  env: NodeJS.ProcessEnv
  orcaVersion: string
  stdin?: NodeJS.ReadableStream
  stdout?: NodeJS.WritableStream
  stderr?: NodeJS.WritableStream
  /** Runs started here at once at most. */
  maxLiveRuns?: number
  executor?: () => Promise<Executor>
}

/**
 * `orca mcp`: serves the project over stdin/stdout until the client goes away (stdin ends, or stdout
 * breaks) or a signal arrives; then cancels the runs it started, waits until each is recorded and
 * its containers are gone, and resolves. A client that disconnects waits for nothing: its runs'
 * containers are killed at once. A signal gives them their grace period; a second one kills them.
 */
export async function serveMcpOverStdio(options: McpStdioOptions): Promise<void> {
  const stdin = options.stdin ?? process.stdin
  const stdout = options.stdout ?? process.stdout
  const stderr = options.stderr ?? process.stderr
  const restoreConsole = keepConsoleOffStdout()
  const runs = new LiveRuns({orcaVersion: options.orcaVersion, maxLiveRuns: options.maxLiveRuns ?? 4, executor: options.executor})
  const context: ToolContext = {project: new McpProject(options.location, options.env), runs, stderr}
  const server = createOrcaMcpServer(context, options.orcaVersion)

  let stop!: (how: 'disconnect' | 'signal') => void
  const stopped = new Promise<'disconnect' | 'signal'>((resolve) => (stop = resolve))
  const onDisconnect = (): void => stop('disconnect')
  let signals = 0
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals === 1) {
      stderr.write(`orca mcp: ${signal}, cancelling ${runs.count} run(s) started here\n`)
      stop('signal')
    } else {
      stderr.write(`orca mcp: ${signal} again, stopping containers now\n`)
      runs.forceCancelAll()
    }
  }
  // An error nothing caught must not end the process with containers running: the run whose work raised it fails.
  const onUncaught = (error: unknown): void => {
    const id = runs.failOwnerOf(error)
    stderr.write(`orca mcp: ${id === undefined ? 'an unexpected error outside any run' : `run ${id} failed with an unexpected error`}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  }
  stdin.on('end', onDisconnect)
  stdin.on('close', onDisconnect)
  // Writing to a client that is gone: EPIPE arrives as an error event, which would otherwise end the process.
  stdout.on('error', onDisconnect)
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.on('uncaughtException', onUncaught)
  process.on('unhandledRejection', onUncaught)

  const transport = new StdioServerTransport(stdin as NodeJS.ReadStream, stdout as NodeJS.WriteStream)
  try {
    await server.connect(transport)
    stderr.write(`orca mcp: serving ${options.location.projectDir} on stdin/stdout\n`)
    const how = await stopped
    await runs.shutdown(how === 'disconnect')
    await server.close().catch(() => undefined)
    stderr.write('orca mcp: stopped\n')
  } finally {
    stdin.off('end', onDisconnect)
    stdin.off('close', onDisconnect)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    process.off('uncaughtException', onUncaught)
    process.off('unhandledRejection', onUncaught)
    restoreConsole()
  }
}

/** stdout carries the protocol: whatever a library prints with console.log goes to stderr instead. */
function keepConsoleOffStdout(): () => void {
  const saved = {log: console.log, info: console.info, debug: console.debug}
  console.log = console.info = console.debug = console.error
  return () => Object.assign(console, saved)
}
