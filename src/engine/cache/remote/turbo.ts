import type {IncomingMessage} from 'node:http'

import {RemoteError, type RemoteBackend, type RemoteObject} from './backend.js'
import {httpClient} from './http-request.js'

export interface TurboSettings {
  /** The server's base URL, e.g. https://cache.example.com (the API lives under /v8). */
  url: string
  token?: string
  team: string
}

/**
 * The Turborepo remote cache HTTP API (`/v8/artifacts/{hash}?teamId=`), as turborepo-remote-cache
 * and Vercel serve it. It stores one artifact per hash, so each blob and entry manifest is one
 * artifact: `orca-blob-<sha256>` and `orca-pack-<id>` (shared by every namespace of the team: content
 * checks itself), `orca-manifest-<namespace>-<key>`, an entry's bundle `orca-bundle-<namespace>-<key>` and a keyed
 * volume's `orca-volume-<namespace>-<key>`.
 */
export function turboBackend(settings: TurboSettings): RemoteBackend {
  const base = settings.url.replace(/\/+$/, '')
  const team = encodeURIComponent(settings.team)
  const headers: Record<string, string> = settings.token ? {authorization: `Bearer ${settings.token}`} : {}
  const urlOf = (object: RemoteObject): string => `${base}/v8/artifacts/${artifactId(object)}?teamId=${team}`
  const http = httpClient()
  const request = async (method: string, object: RemoteObject, signal: AbortSignal, body?: Buffer): Promise<IncomingMessage> => {
    let response: IncomingMessage
    try {
      response = await http.request(urlOf(object), {method, signal, headers: body ? {...headers, 'content-type': 'application/octet-stream'} : headers, ...(body ? {body} : {})})
    } catch (error) {
      throw new RemoteError(`${method} ${artifactId(object)}: ${causeOf(error)}`, true, {cause: error})
    }
    const status = response.statusCode ?? 0
    if ((status >= 200 && status < 300) || status === 404) return response
    response.resume()
    throw new RemoteError(`${method} ${artifactId(object)}: HTTP ${status}`, status >= 500 || status === 429)
  }
  return {
    description: `Turborepo API ${base} (team ${settings.team})`,
    async get(object, signal) {
      const response = await request('GET', object, signal)
      if (response.statusCode === 404) {
        response.resume()
        return undefined
      }
      return response
    },
    async has(object, signal) {
      const response = await request('HEAD', object, signal)
      response.resume()
      return response.statusCode !== 404
    },
    async put(object, body, signal) {
      const response = await request('PUT', object, signal, body)
      response.resume()
      if (response.statusCode === 404) throw new RemoteError(`PUT ${artifactId(object)}: HTTP 404`, false)
    },
    preconnect(count) {
      http.preconnect(base, count)
    },
    close() {
      http.close()
    },
  }
}

/** The artifact hash an object is stored under ([A-Za-z0-9-], as every Turborepo server accepts). */
export function artifactId(object: RemoteObject): string {
  if (object.kind === 'blob') return `orca-blob-${object.sha256}`
  if (object.kind === 'volume') return `orca-volume-${object.namespace}-${object.key}`
  if (object.kind === 'bundle') return `orca-bundle-${object.namespace}-${object.key}`
  return object.kind === 'pack' ? `orca-pack-${object.id}` : `orca-manifest-${object.namespace}-${object.key}`
}

/** What went wrong, short: a system error's code (ECONNREFUSED), else its message. */
export function causeOf(error: unknown): string {
  if ((error as Error).name === 'AbortError' || (error as Error).name === 'TimeoutError') return 'timed out'
  const {code, cause} = error as {code?: unknown; cause?: {code?: string; message?: string}}
  if (typeof code === 'string' && code !== 'ABORT_ERR') return code
  return cause?.code ?? cause?.message ?? (error as Error).message
}
