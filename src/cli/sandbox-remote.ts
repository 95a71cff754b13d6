import * as net from 'node:net'

import type {ClientRequest, IncomingMessage} from 'node:http'
import type {WebSocket as WebSocketType} from 'ws'

import {OrcaError} from '../engine/errors.js'

/** Where a sandbox's server is and how to authenticate to it (ORCA_TOKEN, sent as a header on the upgrade, never in the URL). */
export interface SandboxServer {
  url: string
  token?: string
}

/** The server from `--server` / ORCA_SERVER, checked to be an http(s) URL. */
export function sandboxServerOf(server: string | undefined, env: NodeJS.ProcessEnv): SandboxServer {
  if (server === undefined || server === '') throw new OrcaError('usage', 'no server: give --server URL or set ORCA_SERVER')
  let url: URL
  try {
    url = new URL(server)
  } catch {
    throw new OrcaError('usage', `--server: expected a URL like http://127.0.0.1:7070, got ${JSON.stringify(server)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OrcaError('usage', `--server: expected an http:// or https:// URL, got ${JSON.stringify(server)}`)
  const token = env.ORCA_TOKEN
  return {url: url.href.replace(/\/+$/, ''), ...(token ? {token} : {})}
}

/** Opens a WebSocket to `path` of the server; a refusal before the upgrade becomes an error with the server's message. */
export async function openSandboxSocket(server: SandboxServer, path: string): Promise<WebSocketType> {
  const {WebSocket} = await import('ws')
  const url = `${server.url.replace(/^http/, 'ws')}${path}`
  const socket = new WebSocket(url, {headers: server.token ? {authorization: `Bearer ${server.token}`} : {}, maxPayload: 16 * 1024 * 1024})
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.off('error', onError)
      resolve(socket)
    })
    const onError = (error: Error): void => reject(new OrcaError('infra', `cannot reach ${server.url}: ${error.message}`))
    socket.once('error', onError)
    socket.once('unexpected-response', (_request: ClientRequest, response: IncomingMessage) => {
      let body = ''
      response.on('data', (chunk: Buffer) => (body += chunk.toString()))
      response.on('end', () => {
        socket.off('error', onError)
        reject(refusal(response.statusCode ?? 0, body))
      })
    })
  })
}

/** What the server said when it refused: its error message, as a usage error (exit 2) unless it is the server's fault. */
function refusal(status: number, body: string): OrcaError {
  let message = `the server answered ${status}`
  let hint: string | undefined
  try {
    const error = (JSON.parse(body) as {error?: {message?: string; hint?: string}}).error
    if (error?.message) message = error.message
    hint = error?.hint
  } catch {
    // Not our JSON error: the status says enough.
  }
  if (status === 401) hint ??= 'set ORCA_TOKEN to the server\'s token'
  return new OrcaError(status >= 500 ? 'infra' : 'usage', message, hint ? {hint} : {})
}

export interface ShellStreams {
  stdin: NodeJS.ReadStream
  stdout: NodeJS.WriteStream
}

/**
 * `orca shell --server URL SANDBOX`: the local terminal in raw mode, relayed to a terminal in the
 * sandbox (bytes as binary frames, resizes as text frames); resolves to the shell's exit code.
 */
export async function remoteShell(server: SandboxServer, sandbox: string, streams: ShellStreams): Promise<number> {
  const {stdin, stdout} = streams
  if (stdin.isTTY !== true) throw new OrcaError('usage', 'orca shell --server opens an interactive terminal and needs one', {hint: 'run one command over HTTP instead: POST /v1/sandboxes/ID/exec'})
  const size = (): {columns: number; rows: number} => ({columns: stdout.columns || 80, rows: stdout.rows || 24})
  const socket = await openSandboxSocket(server, `/v1/sandboxes/${encodeURIComponent(sandbox)}/shell?columns=${size().columns}&rows=${size().rows}`)
  const onResize = (): void => socket.send(JSON.stringify({type: 'resize', ...size()}))
  const onInput = (chunk: Buffer): void => socket.send(chunk, {binary: true})
  stdin.setRawMode(true)
  stdin.resume()
  stdin.on('data', onInput)
  stdout.on('resize', onResize)
  let exitCode: number | null = null
  try {
    await new Promise<void>((resolve, reject) => {
      socket.on('message', (data, isBinary) => {
        const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[])
        if (isBinary) {
          stdout.write(bytes)
          return
        }
        try {
          const message = JSON.parse(bytes.toString('utf8')) as {type?: string; exitCode?: number | null}
          if (message.type === 'exit') exitCode = message.exitCode ?? null
        } catch {
          // Unknown text frames are ignored.
        }
      })
      socket.once('close', (code, reason) => (code === 1000 || code === 1005 ? resolve() : reject(new OrcaError('infra', `the terminal closed: ${reason.toString() || `code ${code}`}`))))
      socket.once('error', reject)
    })
  } finally {
    stdin.off('data', onInput)
    stdout.off('resize', onResize)
    stdin.setRawMode(false)
    stdin.pause()
  }
  return exitCode ?? 1
}

export interface ForwardOptions {
  sandbox: string
  port: number
  localPort: number
  address: string
}

/**
 * `orca sandbox forward`: listens on a local port; each connection becomes a WebSocket to the
 * sandbox's port through the server. Resolves once listening, with the address it listens on.
 */
export async function forwardPort(server: SandboxServer, options: ForwardOptions, onProblem: (message: string) => void): Promise<{address: string; close: () => Promise<void>}> {
  const path = `/v1/sandboxes/${encodeURIComponent(options.sandbox)}/ports/${options.port}`
  const open = new Set<net.Socket>()
  const local = net.createServer((connection) => {
    open.add(connection)
    connection.once('close', () => open.delete(connection))
    connection.pause()
    openSandboxSocket(server, path).then(
      (socket) => {
        connection.on('data', (chunk: Buffer) => socket.send(chunk, {binary: true}))
        connection.once('end', () => socket.close(1000))
        connection.once('error', () => socket.close(1000))
        socket.on('message', (data) => connection.write(Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[])))
        socket.once('close', () => connection.end())
        connection.once('close', () => socket.terminate())
        connection.resume()
      },
      (error: unknown) => {
        onProblem(`orca: a connection to port ${options.port} of ${options.sandbox} failed: ${(error as Error).message}`)
        connection.destroy()
      },
    )
  })
  await new Promise<void>((resolve, reject) => {
    local.once('error', (error: NodeJS.ErrnoException) =>
      reject(new OrcaError('usage', `cannot listen on ${options.address}:${options.localPort}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.message}`)),
    )
    local.listen(options.localPort, options.address, () => resolve())
  })
  const {address, port} = local.address() as net.AddressInfo
  return {
    address: `${address}:${port}`,
    // Ends the connections it relays too, not only the listening.
    close: () =>
      new Promise<void>((resolve) => {
        local.close(() => resolve())
        for (const connection of open) connection.destroy()
      }),
  }
}

/** `PORT` or `PORT:LOCAL` (as ssh -L reads it, the sandbox's port first): numbers from 1 to 65535; LOCAL 0 = any free port. */
export function parsePortSpec(spec: string): {port: number; localPort: number} {
  const match = /^(\d{1,5})(?::(\d{1,5}))?$/.exec(spec)
  const port = Number(match?.[1])
  const localPort = match?.[2] === undefined ? port : Number(match[2])
  if (!match || port < 1 || port > 65535 || localPort > 65535) throw new OrcaError('usage', `expected PORT or PORT:LOCAL_PORT (1-65535), got ${JSON.stringify(spec)}`)
  return {port, localPort}
}

/** A JSON request to the server's sandbox routes; a refusal becomes an error with the server's message. */
export async function sandboxRequest(server: SandboxServer, method: string, path: string, body?: unknown): Promise<Response> {
  let response: Response
  try {
    response = await fetch(`${server.url}${path}`, {
      method,
      headers: {...(server.token ? {authorization: `Bearer ${server.token}`} : {}), ...(body === undefined ? {} : {'content-type': 'application/json'})},
      ...(body === undefined ? {} : {body: JSON.stringify(body)}),
    })
  } catch (error) {
    throw new OrcaError('infra', `cannot reach ${server.url}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`)
  }
  if (!response.ok) throw refusal(response.status, await response.text())
  return response
}

/** A sandbox route's JSON answer. */
export async function sandboxJson<T>(server: SandboxServer, method: string, path: string, body?: unknown): Promise<T> {
  return (await (await sandboxRequest(server, method, path, body)).json()) as T
}

/**
 * `orca sandbox exec`: runs a command in a sandbox, its output passed to this process's stdout and
 * stderr as it streams; resolves to the command's exit code (1 when the server could not learn it).
 */
export async function execRemote(server: SandboxServer, sandbox: string, cmd: string[], out: {stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream}): Promise<number> {
  const response = await sandboxRequest(server, 'POST', `/v1/sandboxes/${encodeURIComponent(sandbox)}/exec`, {cmd})
  let exitCode: number | null = null
  let rest = ''
  const decoder = new TextDecoder()
  const take = (line: string): void => {
    if (line === '') return
    const message = JSON.parse(line) as {type: string; stream?: 'stdout' | 'stderr'; text?: string; base64?: string; exitCode?: number | null; message?: string}
    if (message.type === 'output') out[message.stream === 'stderr' ? 'stderr' : 'stdout'].write(message.text ?? Buffer.from(message.base64 ?? '', 'base64'))
    else if (message.type === 'exit') exitCode = message.exitCode ?? null
    else if (message.type === 'error') throw new OrcaError('infra', `the command's output was cut: ${message.message}`)
  }
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    const lines = (rest + decoder.decode(chunk, {stream: true})).split('\n')
    rest = lines.pop()!
    for (const line of lines) take(line)
  }
  take(rest)
  return exitCode ?? 1
}
