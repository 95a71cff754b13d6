import {readFileSync} from 'node:fs'
import * as os from 'node:os'
import {OrcaError} from '../../errors.js'
import {parseDuration} from '../../duration.js'
import {dockerMessage, setDefaultCallTimeout, withTimeout} from './call.js'
import type {DockerExecutor, DockerExecutorOptions} from './docker-executor.js'
import type {DockerEndpoint} from './endpoint.js'
import {modemOptions, resolveEndpoint} from './endpoint.js'
import {dockerClient} from './engine-client.js'
import {PhaseTrace} from './phase-trace.js'

export interface ConnectOptions extends DockerExecutorOptions {
  /** `docker.host` from configuration: wins over DOCKER_HOST and the docker context. */
  host?: string
  env?: NodeJS.ProcessEnv
  /** How long the engine has to answer the first ping. */
  timeoutMs?: number
}

/** Finds the Docker engine (config, DOCKER_HOST, docker context, default socket), checks it answers, returns an executor. */
export async function connectDocker(options: ConnectOptions = {}): Promise<DockerExecutor> {
  const env = options.env ?? process.env
  const endpoint = resolveEndpoint({host: options.host, env, homeDir: os.homedir(), readFile: readText})
  // Loaded here, not at the top: a fully cached run never pays for dockerode.
  const {DockerExecutor} = await import('./docker-executor.js')
  let docker
  const timeoutMs = callTimeout(env)
  if (timeoutMs !== undefined) setDefaultCallTimeout(timeoutMs)
  try {
    docker = await dockerClient(modemOptions(endpoint.url, env, readText))
    await withTimeout(docker.ping(), 'ping', options.timeoutMs ?? 5_000)
  } catch (error) {
    throw unreachable(endpoint, error)
  }
  // ORCA_EXEC_TAR=0: transfers through the engine's archive calls only (the plain path the exec of tar is measured and tested against).
  const transfers = env.ORCA_EXEC_TAR === '0' ? 'archive' : 'exec'
  // ORCA_AUTO_REMOVE=0: every finished container removed by orca, awaited (the plain path engine removal is tested against).
  const removal = env.ORCA_AUTO_REMOVE === '0' ? 'orca' : 'engine'
  // ORCA_FOLD_EXEC=0: the needs' artifacts and the artifacts' collection in execs of their own, not the steps' (the plain path the fold is tested against).
  const fold = env.ORCA_FOLD_EXEC === '0' ? 'separate' : 'exec'
  // ORCA_ATTACH=0: the steps each in an exec, not in the container's main process (the path it is tested against).
  const attach = env.ORCA_ATTACH === '0' ? 'exec' : 'stdin'
  return new DockerExecutor(docker, {engineTimeoutMs: timeoutMs, trace: PhaseTrace.fromEnv(env), transfers, removal, fold, attach, ...options, endpoint: endpoint.url})
}

/** `ORCA_DOCKER_TIMEOUT` (a duration): the bound on each Docker call and on the engine's silence during a job. */
function callTimeout(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.ORCA_DOCKER_TIMEOUT?.trim()
  if (!raw) return undefined
  const ms = parseDuration(raw)
  if (ms === undefined || ms <= 0) throw new OrcaError('config', `ORCA_DOCKER_TIMEOUT: expected a duration like "30s", got ${JSON.stringify(raw)}`)
  return ms
}

function unreachable(endpoint: DockerEndpoint, error: unknown): OrcaError {
  const lines = [
    `cannot reach the Docker engine: ${dockerMessage(error)}`,
    `  tried ${endpoint.url} (from ${endpoint.source})`,
    ...endpoint.notes.map((note) => `  note: ${note}`),
  ]
  const hint =
    endpoint.source === 'config docker.host'
      ? 'Start Docker, or fix docker.host in the orca configuration.'
      : 'Start Docker (e.g. `sudo systemctl start docker` or Docker Desktop), or point orca at it with DOCKER_HOST=unix:///path/to/docker.sock or docker.host in orca.config.yml.'
  return new OrcaError('infra', lines.join('\n'), {cause: error, hint})
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}
