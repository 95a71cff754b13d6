import type {RequestOptions} from 'node:http'

import type Docker from 'dockerode'

import {OrcaError} from '../../errors.js'
import type {ModemOptions} from './endpoint.js'

type DialOptions = Parameters<Docker['modem']['dial']>[0]
type RequestCallback = NonNullable<Parameters<Docker['modem']['dial']>[1]>

/** The parts of docker-modem the guards wrap (`buildRequest` is private in its types). */
interface ModemInternals {
  dial(options: DialOptions, callback?: RequestCallback): void
  buildRequest(options: RequestOptions, context: DialOptions, data: unknown, callback?: RequestCallback): void
}

/**
 * The Docker client for every Engine API call orca makes. Two guards on docker-modem:
 * - a request whose path is not clean once decoded (an empty, `.` or `..` segment, a control character)
 *   is refused before it is sent: the engine would answer it with a redirect to the cleaned path;
 * - a redirect is an error, never followed. docker-modem follows `Location` itself, resolved so that
 *   a crafted path sends the next request to a host named in it (and a failing one crashes the process).
 */
export async function dockerClient(options: ModemOptions): Promise<Docker> {
  // Loaded here, not at the top: a fully cached run never pays for dockerode.
  const {default: Dockerode} = await import('dockerode')
  const docker = new Dockerode(options)
  guardModem(docker.modem as unknown as ModemInternals)
  return docker
}

function guardModem(modem: ModemInternals): void {
  const dial = modem.dial.bind(modem)
  const buildRequest = modem.buildRequest.bind(modem)
  modem.dial = (options, callback) => {
    const problem = uncleanApiPath(options.path)
    if (problem === undefined) return dial(options, callback)
    callback?.(new OrcaError('internal', `refused to send a Docker API request to ${JSON.stringify(options.path)}: ${problem}`), null)
  }
  modem.buildRequest = (request, context, data, callback) => {
    const what = `${context.method ?? 'GET'} ${context.path}`
    buildRequest({...request, maxRedirects: 0} as RequestOptions, context, data, (error, result) => {
      // docker-modem's redirect handling reports a redirect it may not follow this way.
      if (error && /^Max redirects exceeded/.test(error.message)) {
        callback?.(new OrcaError('infra', `the Docker engine answered ${what} with a redirect; orca never follows redirects from the engine`, {cause: error}), null)
      } else {
        callback?.(error, result)
      }
    })
  }
}

/** Why an Engine API path would not reach the engine as written; undefined when it is clean. */
export function uncleanApiPath(apiPath: string): string | undefined {
  const pathname = apiPath.split('?', 1)[0] ?? ''
  if (!/^\/[\x21-\x7e]*$/.test(pathname) || pathname.includes('#')) return 'it has a space, a control character, "#" or no leading "/"'
  let decoded: string
  try {
    decoded = decodeURIComponent(pathname)
  } catch {
    return 'it has a malformed %-escape'
  }
  if ([...decoded].some((char) => char < ' ' || char === '\x7f')) return 'it has an encoded control character'
  const segments = decoded.slice(1).split('/')
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) return 'it has an empty, "." or ".." segment'
  return undefined
}
