import {readFileSync} from 'node:fs'

import {createClient, OrcaApiError, type OrcaClient} from '../../client/index.js'
import {ConfigError, OrcaError} from '../../engine/errors.js'
import {pickRunId, RUN_ID_PATTERN} from '../../engine/records/run-id.js'

/** A serve instance the command talks to instead of the local runs directory. */
export interface Remote {
  /** As given, without a trailing slash: what messages name (never with the token). */
  url: string
  client: OrcaClient
}

/** The flags every remote-capable command has (`remoteFlags`). */
export interface RemoteFlags {
  server?: string
  'token-file'?: string
}

/**
 * The server named by `--server` (or `ORCA_SERVER`, which the flag table reads), with its token from
 * `--token-file` or `ORCA_TOKEN`; undefined when there is none: the command works locally.
 */
export function remoteOf(flags: RemoteFlags, env: NodeJS.ProcessEnv = process.env): Remote | undefined {
  const server = flags.server?.trim()
  if (server === undefined || server === '') {
    if (flags['token-file'] !== undefined) throw new OrcaError('usage', '--token-file is for --server: it is the token of an orca serve')
    return undefined
  }
  let url: URL
  try {
    url = new URL(server)
  } catch {
    throw new OrcaError('usage', `--server expects the URL of an orca serve, like http://127.0.0.1:7077, got "${server}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OrcaError('usage', `--server expects an http or https URL, got "${server}"`)
  if (url.username !== '' || url.password !== '') throw new OrcaError('usage', '--server must not hold credentials: give the token with ORCA_TOKEN or --token-file')
  const base = url.toString().replace(/\/+$/, '')
  return {url: base, client: createClient({baseUrl: base, token: tokenOf(flags['token-file'], env)})}
}

function tokenOf(file: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (file === undefined) return env.ORCA_TOKEN || undefined
  try {
    return readFileSync(file, 'utf8').trim()
  } catch (error) {
    throw new OrcaError('usage', `cannot read the token file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
}

/**
 * Calls the server and turns what goes wrong into the errors (and exit codes) of the local commands:
 * an unknown run or a refused request is a usage error (2), an invalid pipeline a ConfigError (2),
 * an unreachable or failing server an infrastructure error (3).
 */
export async function remoteCall<T>(remote: Remote, call: (client: OrcaClient) => Promise<T>): Promise<T> {
  try {
    return await call(remote.client)
  } catch (error) {
    throw remoteError(remote, error)
  }
}

/** The OrcaError of a failed call to the server. */
export function remoteError(remote: Remote, error: unknown): unknown {
  if (error instanceof OrcaError) return error
  if (error instanceof OrcaApiError) {
    if (error.code === 'invalid_pipeline' && error.diagnostics !== undefined && error.diagnostics.length > 0) {
      return new ConfigError(error.diagnostics.map((d) => ({...d})), error.hint === undefined ? {} : {hint: error.hint})
    }
    if (error.status === 401) {
      return new OrcaError('usage', `${remote.url} refused the request: ${error.message}`, {hint: 'set ORCA_TOKEN to the server\'s token, or pass --token-file FILE'})
    }
    const kind = error.status >= 500 ? 'infra' : 'usage'
    return new OrcaError(kind, `${remote.url}: ${error.message}`, error.hint === undefined ? {} : {hint: error.hint})
  }
  if (error instanceof Error && (error.name === 'TypeError' || error.name === 'AbortError')) {
    const cause = (error.cause as Error | undefined)?.message ?? error.message
    return new OrcaError('infra', `cannot reach orca serve at ${remote.url}: ${cause}`, {hint: 'is `orca serve` running there? (--server, ORCA_SERVER)'})
  }
  return error
}

/**
 * The run id `ref` names on the server: an id or `latest` as they are, a prefix of one resolved among
 * the server's runs, with the messages of a local lookup.
 */
export async function resolveRemoteRun(remote: Remote, ref: string): Promise<string> {
  if (RUN_ID_PATTERN.test(ref)) return ref
  const ids: string[] = []
  let before: string | undefined
  // `latest` needs one page; a prefix, every id that could match.
  do {
    const page = await remoteCall(remote, (client) => client.listRuns({limit: ref === 'latest' ? 1 : 1000, ...(before === undefined ? {} : {before})}))
    ids.push(...page.runs.map((run) => run.id))
    before = page.next ?? undefined
  } while (before !== undefined && ref !== 'latest')
  return pickRunId(ids, ref, remote.url)
}
