import type * as NodeHttp from 'node:http'
import type {Agent as HttpAgent, IncomingMessage, OutgoingHttpHeaders} from 'node:http'
import type * as NodeHttps from 'node:https'
import {createRequire} from 'node:module'
import {isIP, type Socket} from 'node:net'

/**
 * HTTP for the Turborepo backend through node:http(s) and one keep-alive agent per protocol, not
 * fetch: loading fetch (undici and its WebAssembly parser) cost a run restored from the remote
 * ≈ 30 ms before its first request (docs/performance.md, "Remote cache").
 */
export interface HttpClient {
  /** Sends one request; resolves with the response once its headers arrived (a redirect followed as fetch does). */
  request(url: string, options: {method: string; headers: Record<string, string>; body?: Buffer; signal: AbortSignal}): Promise<IncomingMessage>
  /**
   * Opens up to `count` connections to the origin of `address` now, so the first requests find them
   * open: the TCP (and TLS) handshakes happen while the caller does other work. A connection no
   * request took within WARM_IDLE_MS is closed; one that fails is dropped, never reported.
   */
  preconnect(address: string, count: number): void
  /** Closes the idle keep-alive connections, and each busy one when its request ends (a request in flight finishes). */
  close(): void
}

const MAX_REDIRECTS = 20
/** How long a connection opened ahead waits for a request. */
const WARM_IDLE_MS = 5_000

export function httpClient(): HttpClient {
  const agents = new Map<string, HttpAgent>()
  let closed = false
  /** Connections opened ahead (preconnect), by `host:port`, until a request takes one. */
  const warm = new Map<string, Socket[]>()
  /** Each agent's own way to open a connection, before opened-ahead ones were put first. */
  const connectOf = new Map<HttpAgent, (options: object) => Socket>()
  const agentFor = (protocol: string): HttpAgent => {
    let agent = agents.get(protocol)
    if (agent === undefined) {
      const made = new (httpModule(protocol).Agent)({keepAlive: true})
      // Once closed, a connection whose request ends is closed too instead of waiting for the next.
      const keep = made.keepSocketAlive.bind(made)
      made.keepSocketAlive = (socket) => !closed && keep(socket)
      // A new connection is one opened ahead when there is one (open or still connecting), else a new one.
      const connect = made.createConnection.bind(made) as (options: object, callback?: unknown) => Socket
      connectOf.set(made, connect)
      made.createConnection = ((options: {host?: string; port?: number | string}, callback?: unknown) => takeWarm(options) ?? connect(options, callback)) as typeof made.createConnection
      agent = made
      agents.set(protocol, agent)
    }
    return agent
  }
  const takeWarm = (options: {host?: string; port?: number | string}): Socket | undefined => {
    const sockets = warm.get(`${options.host}:${options.port}`)
    for (let socket = sockets?.shift(); socket !== undefined; socket = sockets?.shift()) {
      if (socket.destroyed) continue
      socket.removeAllListeners('error')
      socket.removeAllListeners('timeout')
      socket.setTimeout(0)
      // Held again while the request uses it (the agent unrefs it once free).
      socket.ref()
      return socket
    }
    return undefined
  }
  const once = async (url: URL, method: string, headers: OutgoingHttpHeaders, body: Buffer | undefined, signal: AbortSignal): Promise<IncomingMessage> => {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`unsupported protocol ${url.protocol}`)
    const agent = agentFor(url.protocol)
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpModule(url.protocol).request(url, {method, headers: body ? {...headers, 'content-length': body.length} : headers, agent, signal})
      req.once('response', resolve)
      req.once('error', reject)
      req.end(body)
    })
  }
  return {
    preconnect(address, count) {
      const url = new URL(address)
      if (closed || (url.protocol !== 'http:' && url.protocol !== 'https:')) return
      const agent = agentFor(url.protocol)
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
      const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80))
      const sockets = warm.get(`${host}:${port}`) ?? []
      warm.set(`${host}:${port}`, sockets)
      // The options the agent itself would connect with (its own, the server name TLS checks the certificate against).
      const options = {...(agent as unknown as {options: object}).options, host, port, ...(url.protocol === 'https:' && isIP(host) === 0 ? {servername: host} : {})}
      while (sockets.length < count) {
        const socket = connectOf.get(agent)!(options)
        // Never holds the process, never fails a run: a request that finds it gone opens its own.
        socket.unref()
        socket.on('error', () => socket.destroy())
        socket.setTimeout(WARM_IDLE_MS, () => socket.destroy())
        sockets.push(socket)
      }
    },
    async request(address, {method, headers, body, signal}) {
      let url = new URL(address)
      let current: {method: string; headers: OutgoingHttpHeaders; body: Buffer | undefined} = {
        method,
        // No compressed answers: fetch decoded them, orca reads the bytes as sent.
        headers: {...headers, 'accept-encoding': 'identity'},
        body,
      }
      for (let redirects = 0; ; redirects++) {
        const response = await once(url, current.method, current.headers, current.body, signal)
        const location = response.headers.location
        if (!isRedirect(response.statusCode) || location === undefined) return response
        response.resume()
        if (redirects >= MAX_REDIRECTS) throw new Error('redirect count exceeded')
        const next = new URL(location, url)
        // As fetch: a 303 turns into a GET without a body; credentials stay on their origin.
        const toGet = response.statusCode === 303 && current.method !== 'HEAD'
        const nextHeaders = {...current.headers}
        if (next.origin !== url.origin) delete nextHeaders.authorization
        if (toGet) delete nextHeaders['content-type']
        current = {method: toGet ? 'GET' : current.method, headers: nextHeaders, body: toGet ? undefined : current.body}
        url = next
      }
    },
    close() {
      closed = true
      for (const sockets of warm.values()) for (const socket of sockets.splice(0)) socket.destroy()
      for (const agent of agents.values()) {
        for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy()
      }
    },
  }
}

const requireBuiltin = createRequire(import.meta.url)

/**
 * node:http or node:https (tls only for an https URL), loaded when first needed through require, not
 * import(): an ES import reads every export, and on Node.js 22 and later node:http's WebSocket export
 * loads undici (20-40 ms here, docs/performance.md); require reads only what is used.
 */
function httpModule(protocol: string): Pick<typeof NodeHttp, 'Agent' | 'request'> {
  return protocol === 'https:' ? (requireBuiltin('node:https') as typeof NodeHttps) : (requireBuiltin('node:http') as typeof NodeHttp)
}

function isRedirect(status: number | undefined): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308
}
