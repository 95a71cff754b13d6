import {readFileSync} from 'node:fs'
import {connect} from 'node:net'
import * as os from 'node:os'

import {OrcaError} from '../errors.js'
import {modemOptions, resolveEndpoint} from '../executor/docker/endpoint.js'
import {assertImageReference} from '../pipeline/image-reference.js'

/** Resolves an image reference to the ID of the local image; undefined when the engine does not have it. */
export type ImageIdResolver = (ref: string) => Promise<string | undefined>

const TIMEOUT_MS = 5_000

/**
 * Image inspection for keys. Over a unix socket this is one HTTP request on a plain socket, so a fully
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
      found = (async () => {
        // Never sent to the engine unless it is a reference: the engine redirects unclean paths.
        assertImageReference(ref, 'image')
        return inspect(ref)
      })().catch((error: unknown) => {
        memo.delete(ref)
        if (error instanceof OrcaError) throw error
        throw new OrcaError('infra', `cannot inspect image "${ref}" at ${endpoint.url}: ${(error as Error).message}`, {cause: error})
      })
      memo.set(ref, found)
    }
    return found
  }
}

/**
 * `GET /images/<ref>/json` as one HTTP/1.0 exchange on the socket: the engine answers and closes,
 * so there is no keep-alive or chunked body to handle, and node:http (≈ 20 ms to load and warm up
 * here) stays unloaded on a fully cached run.
 */
function inspectOverSocket(socketPath: string, ref: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath)
    const chunks: Buffer[] = []
    socket.setTimeout(TIMEOUT_MS, () => socket.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000}s`)))
    socket.on('connect', () => socket.end(`GET /images/${encodeURIComponent(ref)}/json HTTP/1.0\r\nHost: docker\r\n\r\n`))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('end', () => {
      try {
        resolve(imageIdFromResponse(Buffer.concat(chunks).toString('utf8')))
      } catch (error) {
        reject(error as Error)
      }
    })
  })
}

/** The image ID in an engine's answer to an image inspection; undefined for 404 (no such image). A redirect is an error, never followed. */
export function imageIdFromResponse(response: string): string | undefined {
  const headerEnd = response.indexOf('\r\n\r\n')
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(response)
  if (headerEnd === -1 || !status) throw new Error(`unexpected answer from the engine: ${JSON.stringify(response.slice(0, 80))}`)
  const code = Number(status[1])
  const body = response.slice(headerEnd + 4)
  if (code === 404) return undefined
  if (code >= 300 && code < 400) throw new Error(`engine answered ${code} (a redirect); orca never follows redirects from the engine`)
  if (code !== 200) throw new Error(`engine answered ${code}: ${body.trim().slice(0, 200)}`)
  const id = (JSON.parse(body) as {Id?: unknown}).Id
  return typeof id === 'string' ? id : undefined
}

async function inspectWithDockerode(modem: ReturnType<typeof modemOptions>, ref: string): Promise<string | undefined> {
  const {dockerClient} = await import('../executor/docker/engine-client.js')
  try {
    return (await (await dockerClient(modem)).getImage(encodeURIComponent(ref)).inspect()).Id
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
