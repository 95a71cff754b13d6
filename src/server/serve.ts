import type {Writable} from 'node:stream'

import {OrcaError} from '../engine/errors.js'
import {createServer, type OrcaServer, type ServeOptions} from './app.js'
import {KeyStore} from './auth/key-store.js'
import {isLoopbackHost} from './guards.js'

export interface ServeUntilSignalOptions extends ServeOptions {
  host: string
  port: number
  /** What a SIGTERM/SIGINT does to live runs: cancel them (default) or let them finish. */
  onShutdown: 'cancel' | 'finish'
  stdout: Writable
  stderr: Writable
}

/** Refuses to expose the engine beyond this machine without a token or an API key (docs/serve.md). */
export function checkExposure(host: string, token: string | undefined, activeKeys = 0): void {
  if (isLoopbackHost(host)) return
  if (token === undefined || token === '') {
    if (activeKeys > 0) return
    throw new OrcaError('usage', `refusing to listen on ${host} without a token or an API key: anyone who can reach it could run containers on this machine`, {
      hint: 'add a key (orca serve keys add NAME --scope run), set --token or ORCA_TOKEN, or listen on 127.0.0.1',
    })
  }
  if (token.length < 16) throw new OrcaError('usage', 'the token is too short for a non-loopback address (16 characters at least)')
}

/**
 * Keeps one run's failure from taking the server down: an error nothing caught (a library that
 * throws from a socket callback, a promise nobody awaited) fails the live run whose work raised it,
 * and the server keeps answering. Returns the function that removes the guard.
 */
export function guardProcess(server: OrcaServer, stderr: Writable): () => void {
  const onError = (error: unknown): void => {
    const id = server.runs.failOwnerOf(error)
    const what = id === undefined ? 'an unexpected error outside any run' : `run ${id} failed with an unexpected error`
    stderr.write(`orca serve: ${what} (the server keeps running): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  }
  process.on('uncaughtException', onError)
  process.on('unhandledRejection', onError)
  return () => {
    process.off('uncaughtException', onError)
    process.off('unhandledRejection', onError)
  }
}

/**
 * `orca serve`: listens, prints the address on stdout, and on SIGTERM/SIGINT stops accepting, settles
 * live runs per `onShutdown` (a second signal kills their containers without grace) and resolves.
 */
export async function serveUntilSignal(options: ServeUntilSignalOptions): Promise<void> {
  const keys = options.keys ?? KeyStore.forRunsDir(options.config.runsDir)
  checkExposure(options.host, options.token, keys.activeKeys().length)
  const server = await createServer({...options, keys})
  let address
  try {
    address = await server.listen(options.host, options.port)
  } catch (error) {
    await server.app.close()
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EADDRNOTAVAIL' ? 'no such local address' : (error as Error).message
    throw new OrcaError('usage', `cannot listen on ${options.host}:${options.port}: ${why}`, {cause: error})
  }
  options.stdout.write(`orca serve: listening on ${address.url} (project ${options.projectDir})\n`)
  const unguard = guardProcess(server, options.stderr)

  await new Promise<void>((resolve, reject) => {
    let signals = 0
    const onSignal = (signal: NodeJS.Signals): void => {
      if (++signals > 1) {
        options.stderr.write(`orca serve: ${signal} again, stopping containers now\n`)
        server.runs.forceCancelAll()
        return
      }
      const {running, queued} = server.runs.stats
      options.stderr.write(`orca serve: ${signal}, shutting down (${options.onShutdown === 'cancel' ? 'cancelling' : 'finishing'} ${running} running run(s), dropping ${queued} queued)\n`)
      server.shutdown(options.onShutdown).then(resolve, reject)
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  }).finally(() => {
    process.removeAllListeners('SIGTERM')
    process.removeAllListeners('SIGINT')
    unguard()
  })
  options.stderr.write('orca serve: stopped\n')
}
