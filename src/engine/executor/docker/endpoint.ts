import {createHash} from 'node:crypto'
import * as path from 'node:path'

export const DEFAULT_SOCKET = '/var/run/docker.sock'

/** Where the Docker endpoint came from, in the words a user would use to fix it. */
export type EndpointSource = 'config docker.host' | 'DOCKER_HOST' | `docker context "${string}"` | 'default socket'

export interface DockerEndpoint {
  /** A DOCKER_HOST-style URL: unix://, tcp://, ssh://, npipe://. */
  url: string
  source: EndpointSource
  /** What was looked at and not used (a context that could not be read...), for error messages. */
  notes: string[]
}

/** Options for docker-modem (the subset orca sets). */
export interface ModemOptions {
  socketPath?: string
  host?: string
  port?: number
  protocol?: 'http' | 'https' | 'ssh'
  username?: string
  ca?: string
  cert?: string
  key?: string
  sshOptions?: {agent?: string}
}

export interface EndpointInputs {
  host?: string
  env: NodeJS.ProcessEnv
  homeDir: string
  /** Reads a file as text; undefined when it does not exist or cannot be read. */
  readFile(file: string): string | undefined
}

/** Picks the endpoint: configured host, else DOCKER_HOST, else the active docker context, else the default socket. */
export function resolveEndpoint(inputs: EndpointInputs): DockerEndpoint {
  const notes: string[] = []
  if (inputs.host) return {url: normaliseHost(inputs.host), source: 'config docker.host', notes}
  if (inputs.env.DOCKER_HOST) return {url: normaliseHost(inputs.env.DOCKER_HOST), source: 'DOCKER_HOST', notes}

  const configDir = inputs.env.DOCKER_CONFIG || path.join(inputs.homeDir, '.docker')
  const context = inputs.env.DOCKER_CONTEXT || currentContext(configDir, inputs.readFile, notes)
  if (context && context !== 'default') {
    const hash = createHash('sha256').update(context).digest('hex')
    const metaFile = path.join(configDir, 'contexts', 'meta', hash, 'meta.json')
    const meta = inputs.readFile(metaFile)
    const host = meta === undefined ? undefined : contextHost(meta)
    if (host) return {url: normaliseHost(host), source: `docker context "${context}"`, notes}
    notes.push(`docker context "${context}" has no readable endpoint in ${metaFile}`)
  }
  return {url: `unix://${DEFAULT_SOCKET}`, source: 'default socket', notes}
}

function currentContext(configDir: string, readFile: EndpointInputs['readFile'], notes: string[]): string | undefined {
  const file = path.join(configDir, 'config.json')
  const text = readFile(file)
  if (text === undefined) return undefined
  try {
    const value = (JSON.parse(text) as {currentContext?: unknown}).currentContext
    return typeof value === 'string' ? value : undefined
  } catch {
    notes.push(`${file} is not valid JSON`)
    return undefined
  }
}

function contextHost(meta: string): string | undefined {
  try {
    const host = (JSON.parse(meta) as {Endpoints?: {docker?: {Host?: unknown}}}).Endpoints?.docker?.Host
    return typeof host === 'string' && host ? host : undefined
  } catch {
    return undefined
  }
}

/** A bare socket path becomes unix://path; `host:port` becomes tcp://host:port. */
function normaliseHost(host: string): string {
  if (host.startsWith('/')) return `unix://${host}`
  if (!host.includes('://')) return `tcp://${host}`
  return host
}

/** Translates an endpoint URL into docker-modem options, reading TLS material from DOCKER_CERT_PATH. */
export function modemOptions(url: string, env: NodeJS.ProcessEnv, readFile: EndpointInputs['readFile']): ModemOptions {
  if (url.startsWith('unix://')) return {socketPath: url.slice('unix://'.length) || DEFAULT_SOCKET}
  if (url.startsWith('npipe://')) return {socketPath: url.slice('npipe://'.length) || '//./pipe/docker_engine'}
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new Error(`"${url}" is not a Docker endpoint like unix:///var/run/docker.sock or tcp://host:2376`)
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1')
  if (parsed.protocol === 'ssh:') {
    return {
      protocol: 'ssh',
      host,
      port: parsed.port ? Number(parsed.port) : 22,
      username: decodeURIComponent(parsed.username) || undefined,
      sshOptions: {agent: env.SSH_AUTH_SOCK},
    }
  }
  if (parsed.protocol !== 'tcp:' && parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`"${url}" uses an unsupported scheme ${parsed.protocol} (use unix://, tcp:// or ssh://)`)
  }
  const port = parsed.port ? Number(parsed.port) : 2375
  const tls = parsed.protocol === 'https:' || isTrue(env.DOCKER_TLS_VERIFY) || port === 2376
  const options: ModemOptions = {protocol: tls ? 'https' : 'http', host, port}
  if (tls && env.DOCKER_CERT_PATH) {
    for (const name of ['ca', 'cert', 'key'] as const) {
      const file = path.join(env.DOCKER_CERT_PATH, `${name}.pem`)
      const text = readFile(file)
      if (text === undefined) throw new Error(`cannot read ${file} (from DOCKER_CERT_PATH)`)
      options[name] = text
    }
  }
  return options
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false'
}
