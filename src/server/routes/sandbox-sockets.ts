import type {Socket} from 'node:net'
import {PassThrough, Writable, type Duplex} from 'node:stream'

import type {FastifyInstance, FastifyRequest} from 'fastify'
import type {WebSocket} from 'ws'

import type {ShellTerminal} from '../../engine/executor/types.js'
import {HttpError} from '../http-error.js'
import {COMMON_ERRORS, errorResponse} from '../openapi.js'
import {SECURITY} from './context.js'
import {answering, SANDBOX_PARAM, type SandboxRouteContext} from './sandboxes.js'

/** The control messages of a terminal, sent as text frames (bytes of the terminal go as binary frames). */
export type TerminalMessage = {type: 'resize'; columns: number; rows: number} | {type: 'exit'; exitCode: number | null}

const UPGRADE_REQUIRED = errorResponse('Not a WebSocket upgrade request.')
const connections = new WeakMap<FastifyRequest, Socket>()

/**
 * The WebSocket routes of a sandbox: its terminal and its TCP ports. Every refusal (token, Host,
 * no such sandbox, not running, no network, port closed) is an HTTP reply before the upgrade.
 */
export async function registerSandboxSocketRoutes(app: FastifyInstance, {sandboxes}: SandboxRouteContext): Promise<void> {
  const {default: websocket} = await import('@fastify/websocket')
  await app.register(websocket, {options: {maxPayload: 1024 * 1024}})
  // Upgraded connections (open terminals, forwards, and upgrades refused with an HTTP reply that the
  // client keeps open) are no longer the HTTP server's to close: closing the server ends them, or it would wait on them.
  const upgraded = new Set<Duplex>()
  const onUpgrade = (_request: unknown, socket: Duplex): void => {
    upgraded.add(socket)
    socket.once('close', () => upgraded.delete(socket))
  }
  app.server.on('upgrade', onUpgrade)
  app.addHook('preClose', async () => {
    app.server.off('upgrade', onUpgrade)
    for (const socket of upgraded) socket.destroy()
  })
  const config = {scope: 'sandbox' as const}
  const notUpgraded = async (): Promise<never> => {
    throw new HttpError(426, 'upgrade_required', 'this route speaks WebSocket: send an upgrade request', {headers: {upgrade: 'websocket'}})
  }

  app.route<{Params: {id: string}; Querystring: {columns?: number; rows?: number}}>({
    method: 'GET',
    url: '/v1/sandboxes/:id/shell',
    config,
    schema: {
      operationId: 'sandboxShell',
      summary: 'A terminal in the sandbox over a WebSocket',
      description:
        'Upgrade to a WebSocket (the bearer token in the Authorization header of the upgrade request, never in the URL). Binary frames carry the terminal\'s bytes both ways; text frames carry JSON: `{"type":"resize","columns","rows"}` from the client, and `{"type":"exit","exitCode"}` from the server last, before it closes.',
      tags: ['sandboxes'],
      security: SECURITY,
      params: SANDBOX_PARAM,
      querystring: {type: 'object', additionalProperties: false, properties: {columns: {type: 'integer', minimum: 1, maximum: 1000}, rows: {type: 'integer', minimum: 1, maximum: 1000}}},
      response: {101: {description: 'Switching to the WebSocket.'}, ...COMMON_ERRORS, 404: errorResponse('No such sandbox.'), 409: errorResponse('The sandbox is gone or expired.'), 426: UPGRADE_REQUIRED},
    },
    preHandler: async (request) => {
      await answering(() => assertRunning(sandboxes.get(request.params.id)))
    },
    handler: notUpgraded,
    wsHandler: (socket, request) => {
      const size = {columns: request.query.columns ?? 80, rows: request.query.rows ?? 24}
      const {terminal, hangUp} = socketTerminal(socket, size)
      sandboxes.shell(request.params.id, terminal, {signal: hangUp}).then(
        (exitCode) => closeWith(socket, {type: 'exit', exitCode}),
        (error: unknown) => socket.close(1011, String(error instanceof Error ? error.message : error).slice(0, 120)),
      )
    },
  })

  app.route<{Params: {id: string; port: number}}>({
    method: 'GET',
    url: '/v1/sandboxes/:id/ports/:port',
    config,
    schema: {
      operationId: 'sandboxPort',
      summary: 'A TCP connection to a port of the sandbox over a WebSocket',
      description:
        'Upgrade to a WebSocket: the server connects to the port on the sandbox\'s address on its network and relays bytes both ways as binary frames; either side closing ends both. A sandbox with `network: none` has no address: 409 `no_network`. A port nothing listens on: 502 `port_unreachable`.',
      tags: ['sandboxes'],
      security: SECURITY,
      params: {type: 'object', required: ['id', 'port'], properties: {...SANDBOX_PARAM.properties, port: {type: 'integer', minimum: 1, maximum: 65535}}},
      response: {101: {description: 'Switching to the WebSocket.'}, ...COMMON_ERRORS, 404: errorResponse('No such sandbox.'), 409: errorResponse('The sandbox is gone, expired, or has no network.'), 426: UPGRADE_REQUIRED, 502: errorResponse('Nothing accepts connections on the port.')},
    },
    preHandler: async (request) => {
      // Connected before the upgrade, so that a closed port is an HTTP answer, not a WebSocket that closes at once.
      const connection = await answering(() => sandboxes.connectPort(request.params.id, request.params.port)).catch((error: unknown) => {
        if (error instanceof HttpError) throw error
        throw new HttpError(502, 'port_unreachable', `nothing accepts connections on port ${request.params.port} of sandbox ${request.params.id}: ${(error as Error).message}`)
      })
      connection.pause()
      connections.set(request, connection)
      request.raw.once('close', () => {
        if (!request.raw.headers.upgrade) connection.destroy()
      })
    },
    // A plain GET (no upgrade) gets this answer; the upgrade goes to wsHandler.
    handler: async (request) => {
      connections.get(request)?.destroy()
      return notUpgraded()
    },
    wsHandler: (socket, request) => relay(socket, connections.get(request)!),
  })
}

function assertRunning(record: {state: string; id: string; reason?: string}): void {
  if (record.state !== 'running') throw new HttpError(409, 'not_running', `sandbox ${record.id} is ${record.state}${record.reason ? ` (${record.reason})` : ''}`)
}

/** A WebSocket as a terminal: binary frames in are keystrokes, output goes out as binary frames, resizes come as text frames. */
function socketTerminal(socket: WebSocket, initial: {columns: number; rows: number}): {terminal: ShellTerminal; hangUp: AbortSignal} {
  const input = new PassThrough()
  let size = initial
  const listeners = new Set<() => void>()
  const hangUp = new AbortController()
  socket.on('message', (data, isBinary) => {
    const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[])
    if (isBinary) {
      input.write(bytes)
      return
    }
    const message = parseMessage(bytes.toString('utf8'))
    if (message?.type === 'resize') {
      size = {columns: message.columns, rows: message.rows}
      for (const listener of listeners) listener()
    }
  })
  socket.on('close', () => hangUp.abort())
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (socket.readyState === socket.OPEN) socket.send(chunk, {binary: true}, () => callback())
      else callback()
    },
  })
  const terminal: ShellTerminal = {
    input,
    output,
    size: () => size,
    onResize(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
  return {terminal, hangUp: hangUp.signal}
}

/** A control message, or undefined for anything else (ignored, as terminals ignore what they do not know). */
export function parseMessage(text: string): TerminalMessage | undefined {
  try {
    const value = JSON.parse(text) as Record<string, unknown>
    if (value.type === 'resize' && isDimension(value.columns) && isDimension(value.rows)) return {type: 'resize', columns: value.columns, rows: value.rows}
    if (value.type === 'exit' && (value.exitCode === null || Number.isInteger(value.exitCode))) return {type: 'exit', exitCode: value.exitCode as number | null}
  } catch {
    // Not JSON: not a control message.
  }
  return undefined
}

function isDimension(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 1000
}

function closeWith(socket: WebSocket, message: TerminalMessage): void {
  if (socket.readyState !== socket.OPEN) return
  socket.send(JSON.stringify(message), () => socket.close(1000))
}

/** Bytes both ways between a WebSocket and a TCP connection; either end closing closes the other. */
export function relay(socket: WebSocket, connection: Socket): void {
  connection.on('data', (chunk: Buffer) => {
    if (socket.readyState !== socket.OPEN) return
    // Back-pressure: the TCP side waits while the WebSocket has much unsent.
    socket.send(chunk, {binary: true})
    if (socket.bufferedAmount > 1024 * 1024) {
      connection.pause()
      const resume = setInterval(() => {
        if (socket.bufferedAmount < 256 * 1024 || socket.readyState !== socket.OPEN) {
          clearInterval(resume)
          connection.resume()
        }
      }, 10)
    }
  })
  connection.once('end', () => socket.close(1000))
  connection.once('error', () => socket.close(1011, 'the connection to the sandbox failed'))
  connection.once('close', () => {
    if (socket.readyState === socket.OPEN) socket.close(1000)
  })
  socket.on('message', (data) => connection.write(Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[])))
  socket.once('close', () => connection.end())
  connection.resume()
}
