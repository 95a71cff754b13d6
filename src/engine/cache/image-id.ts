import {request} from 'node:http'
import {readFileSync} from 'node:fs'
import * as os from 'node:os'

import {OrcaError} from '../errors.js'
import {modemOptions, resolveEndpoint} from '../executor/docker/endpoint.js'

/** Resolves an image reference to the ID of the local image; undefined when the engine does not have it. */
export type ImageIdResolver = (ref: string) => Promise<string | undefined>

const TIMEOUT_MS = 5_000

/**
 * Image inspection for keys. Over a unix socket this is one HTTP request with node:http, so a fully
 * cached run never loads dockerode (≈100 ms); other endpoints (tcp, ssh) go through dockerode.
 * Throws OrcaError (infra) when the engine cannot be reached.
 */
export function imageIdResolver(options: {host?: string; env: NodeJS.ProcessEnv}): ImageIdResolver {
  const endpoint = resolveEndpoint({host: options.host, env: options.env, homeDir: os.homedir(), readFile: readText})
  const memo = new Map<string, Promise<string | undefined>>()
  const inspect: ImageIdResolver = endpoint.url.startsWith('unix://')
    ? (ref) => inspectOverSocket(endpoint.url.slice('unix://'.length) || '/var/run/docker.sock', ref)
    : async (ref) => inspectWithDockerode(modemOptions(endpoint.url, options.env, readText), ref)
  return (ref) => {
    let found = memo.get(ref)
    if (!found) {
      found = inspect(ref).catch((error: unknown) => {
        memo.delete(ref)
        if (error instanceof OrcaError) throw error
        throw new OrcaError('infra', `cannot inspect image "${ref}" at ${endpoint.url}: ${(error as Error).message}`, {cause: error})
      })
      memo.set(ref, found)
    }
    return found
  }
}

function inspectOverSocket(socketPath: string, ref: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = request({socketPath, path: `/images/${encodeURIComponent(ref)}/json`, method: 'GET', timeout: TIMEOUT_MS}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => {
        if (res.statusCode === 404) return resolve(undefined)
        const body = Buffer.concat(chunks).toString('utf8')
        if (res.statusCode !== 200) return reject(new Error(`engine answered ${res.statusCode}: ${body.trim()}`))
        try {
          const id = (JSON.parse(body) as {Id?: unknown}).Id
          resolve(typeof id === 'string' ? id : undefined)
        } catch (error) {
          reject(error as Error)
        }
      })
    })
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000}s`)))
    req.on('error', reject)
    req.end()
  })
}

async function inspectWithDockerode(modem: ReturnType<typeof modemOptions>, ref: string): Promise<string | undefined> {
  const {default: Docker} = await import('dockerode')
  try {
    return (await new Docker(modem).getImage(ref).inspect()).Id
  } catch (error) {
    if ((error as {statusCode?: number}).statusCode === 404) return undefined
    throw error
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}
