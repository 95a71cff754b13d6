import type {Agent as HttpAgent, IncomingMessage, OutgoingHttpHeaders} from 'node:http'
import {createRequire} from 'node:module'

/**
 * HTTP for the Turborepo backend through node:http(s) and one keep-alive agent per protocol, not
 * fetch: loading fetch (undici and its WebAssembly parser) cost a run restored from the remote
 * ≈ 30 ms before its first request (docs/performance.md, "Remote cache").
 */
export interface HttpClient {
  /** Sends one request; resolves with the response once its headers arrived (a redirect followed as fetch does). */
  request(url: string, options: {method: string; headers: Record<string, string>; body?: Buffer; signal: AbortSignal}): Promise<IncomingMessage>
  /** Closes the idle keep-alive connections, and each busy one when its request ends (a request in flight finishes). */
  close(): void
}

const MAX_REDIRECTS = 20

export function httpClient(): HttpClient {
  const agents = new Map<string, HttpAgent>()
  let closed = false
  const agentFor = (protocol: string): HttpAgent => {
    let agent = agents.get(protocol)
    if (agent === undefined) {
      agent = new (httpModule(protocol).Agent)({keepAlive: true})
      // Once closed, a connection whose request ends is closed too instead of waiting for the next.
      const keep = agent.keepSocketAlive.bind(agent)
      agent.keepSocketAlive = (socket) => !closed && keep(socket)
      agents.set(protocol, agent)
    }
    return agent
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
function httpModule(protocol: string): Pick<typeof import('node:http'), 'Agent' | 'request'> {
  return protocol === 'https:' ? (requireBuiltin('node:https') as typeof import('node:https')) : (requireBuiltin('node:http') as typeof import('node:http'))
}

function isRedirect(status: number | undefined): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308
}
