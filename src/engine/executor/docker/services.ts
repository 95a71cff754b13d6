import type {Duplex} from 'node:stream'
import {setTimeout as sleep} from 'node:timers/promises'
import type Docker from 'dockerode'

import {formatDuration} from '../../duration.js'
import {OrcaError} from '../../errors.js'
import {ownValue} from '../../name-table.js'
import type {Job, Service} from '../../pipeline/types.js'
import type {ProjectIdentity} from '../../project-identity.js'
import {dockerMessage, statusCode, withTimeout} from './call.js'
import {containerName, hardenedHostConfig, LABEL, ownerLabels} from './container-spec.js'
import {demux, execInContainer} from './exec.js'
import {ensureImage} from './images.js'
import type {ServiceLogSink} from '../types.js'

/** Log lines of each service shown with a failure. */
export const SERVICE_TAIL_LINES = 10

/** A service did not get ready (timed out, exited, unhealthy): the job fails, its steps never run. */
export class ServiceNotReadyError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ServiceNotReadyError'
  }
}

export interface ServicesOptions {
  runId: string
  job: Job
  policy: string
  project: ProjectIdentity
  /** The job's network, which every service joins under its name and aliases. */
  network: string
  /** Secret values by name: a service gets those it lists. */
  secrets: Record<string, string>
  /** Where each service's output goes (the run masks and keeps it); undefined = only its last lines, in memory. */
  log?: (service: string) => ServiceLogSink
  /** Aborted when the job is stopped (cancel, timeout, engine lost). */
  signal: AbortSignal
  /** The job's attempt (retry:), from 1: each has containers of its own. */
  attempt?: number
}

interface StartedService {
  service: Service
  spec: Docker.ContainerCreateOptions
  log: ServiceLogSink
  container?: Docker.Container
  /** The image has a HEALTHCHECK: with no check of its own, the service is ready once it is healthy. */
  healthcheck: boolean
}

/** `orca-<run>-<job>.<service>`: a job name has no ".", so no job's container can take the name. */
export function serviceContainerName(runId: string, job: string, service: string, attempt = 1): string {
  return `${containerName(runId, job, attempt)}.${service}`
}

/**
 * The create options of a service's container: hardened like a job's, labelled with its owner, its
 * job and its name, on the job's network under its name and aliases. Unlike a job's, its env (secrets
 * included) is in the container's configuration: the service's own process reads it at start.
 */
export function serviceSpec(options: ServicesOptions, service: Service, imageId: string): Docker.ContainerCreateOptions {
  const env = {...service.env}
  for (const name of service.secrets) {
    const value = ownValue(options.secrets, name)
    if (value !== undefined) env[name] = value
  }
  return {
    name: serviceContainerName(options.runId, options.job.name, service.name, options.attempt),
    Image: imageId,
    ...(service.entrypoint === undefined ? {} : {Entrypoint: service.entrypoint}),
    ...(service.command === undefined ? {} : {Cmd: service.command}),
    Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Labels: {...ownerLabels(options.runId, options.job.name, options.project), [LABEL.policy]: options.policy, [LABEL.service]: service.name},
    HostConfig: hardenedHostConfig(service.resources, options.network),
    NetworkingConfig: {EndpointsConfig: {[options.network]: {Aliases: [service.name, ...service.aliases]}}},
  }
}

/**
 * The services of one job: started together, waited for together, removed or kept together. Every
 * container is recorded as soon as it exists, so `finish` cleans up whatever a failed start left.
 */
export class JobServices {
  private readonly started: StartedService[] = []

  constructor(
    private readonly docker: Docker,
    private readonly options: ServicesOptions,
  ) {}

  /** Pulls (when missing), creates and starts every service at once; their output goes to their logs. */
  async start(): Promise<void> {
    const {options} = this
    const results = await Promise.allSettled(Object.values(options.job.services).map(async (service) => this.startOne(service)))
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  }

  /**
   * Resolves once every service is ready; throws ServiceNotReadyError for the first that is not,
   * with its last log lines. Stops waiting when the job is stopped.
   */
  async ready(): Promise<void> {
    await Promise.all(this.started.map(async (started) => this.waitFor(started)))
  }

  /** The last log lines of every service, for a failed job's output. */
  tails(): string {
    return this.started.map((s) => formatTail(s, this.options.job.name)).join('')
  }

  /** Removes every service, or keeps each (see DockerExecutor.keep) when its job is kept; closes their logs. */
  async finish(keep: ((container: Docker.Container, spec: Docker.ContainerCreateOptions) => Promise<string>) | undefined): Promise<void> {
    try {
      await Promise.all(
        this.started.map(async ({container, spec}) => {
          if (!container) return
          if (keep) await keep(container, spec)
          else await removeServiceContainer(container)
        }),
      )
    } finally {
      for (const {log} of this.started) log.close()
    }
  }

  private async startOne(service: Service): Promise<void> {
    const {docker, options} = this
    const imageId = await ensureImage(docker, service.image, options.signal)
    const image = await withTimeout(docker.getImage(imageId).inspect(), `inspect image ${service.image}`)
    const test = image.Config?.Healthcheck?.Test
    const spec = serviceSpec(options, service, imageId)
    const started: StartedService = {service, spec, log: options.log?.(service.name) ?? new TailLog(), healthcheck: Array.isArray(test) && test.length > 0 && test[0] !== 'NONE'}
    this.started.push(started)
    if (options.signal.aborted) throw new OrcaError('cancelled', 'stopped before its services started')
    started.container = await withTimeout(docker.createContainer(spec), `create service ${service.name}`)
    // Attached before the start, so the log has the service's first line.
    const stream = (await withTimeout(started.container.attach({stream: true, stdout: true, stderr: true, hijack: true}), `attach service ${service.name}`)) as Duplex
    demux(docker, stream, (_, chunk) => started.log.write(chunk))
    await withTimeout(started.container.start(), `start service ${service.name}`)
  }

  private async waitFor(started: StartedService): Promise<void> {
    const {service} = started
    const container = started.container!
    const deadline = Date.now() + service.readyTimeoutMs
    const stopped = abortPromise(this.options.signal)
    let last: string | undefined
    for (;;) {
      if (this.options.signal.aborted) throw new OrcaError('cancelled', 'stopped while its services were starting')
      const info = await withTimeout(container.inspect(), `inspect service ${service.name}`)
      if (!info.State.Running) {
        throw this.notReady(started, `service ${service.name} exited with code ${info.State.ExitCode} before it was ready`)
      }
      const check = await this.check(started, info, Promise.race([stopped, sleep(Math.max(0, deadline - Date.now()), undefined, {ref: false})]))
      if (check.ready) return
      last = check.detail ?? last
      const left = deadline - Date.now()
      if (left <= 0) {
        const how = describeCheck(started)
        throw this.notReady(started, `service ${service.name} not ready after ${showTimeout(service.readyTimeoutMs)} (${how}${last ? `; last check: ${last}` : ''})`)
      }
      await Promise.race([sleep(Math.min(service.readyIntervalMs, left), undefined, {ref: false}), stopped])
    }
  }

  /** One readiness check: ready, or not yet with what it said. */
  private async check(started: StartedService, info: Docker.ContainerInspectInfo, giveUp: Promise<unknown>): Promise<{ready: boolean; detail?: string}> {
    const {ready} = started.service
    if (ready.kind === 'default') {
      if (!started.healthcheck) return {ready: true}
      const health = info.State.Health
      const output = health?.Log?.at(-1)?.Output?.trim()
      return {ready: health?.Status === 'healthy', detail: `${health?.Status ?? 'no health status'}${output ? ` (${shorten(output)})` : ''}`}
    }
    const script = ready.kind === 'command' ? ready.command : listeningScript(ready.port)
    let output = ''
    const exitCode = await execInContainer(this.docker, started.container!, {
      cmd: ['sh', '-c', script],
      env: {},
      workdir: '',
      onOutput: (_, chunk) => (output = (output + chunk.toString()).slice(-2000)),
      abandon: giveUp.then(() => undefined),
    }).catch(async (error: unknown) => {
      // A container that stopped between the inspection and the exec: the next inspection says so.
      // The engine answers 409, or, when the process exits while the exec starts, a runtime error.
      if (statusCode(error) === 409) return null
      const now = await withTimeout(started.container!.inspect(), `inspect service ${started.service.name}`).catch(() => undefined)
      if (now !== undefined && !now.State.Running) return null
      throw error
    })
    if (exitCode === 0) return {ready: true}
    // A check cut short by the deadline says nothing; the port check's exit code says no more than its description.
    if (exitCode === null || ready.kind === 'tcp') return {ready: false}
    const said = output.trim() ? ` ${JSON.stringify(shorten(output.trim()))}` : ''
    return {ready: false, detail: `exit ${exitCode}${said}`}
  }

  private notReady(started: StartedService, message: string): ServiceNotReadyError {
    return new ServiceNotReadyError(`${message}${formatTail(started, this.options.job.name)}`)
  }
}

/** The last lines of a service when no one keeps its log (an executor used without a run). */
class TailLog implements ServiceLogSink {
  private text = ''
  write(chunk: Buffer): void {
    this.text = (this.text + chunk.toString()).slice(-8192)
  }
  lastLines(count: number): string[] {
    return this.text.split('\n').filter((line, i, all) => line !== '' || i < all.length - 1).slice(-count)
  }
  close(): void {}
}

/** Force-removes a service's container and its anonymous volumes (a database's data); one already gone is fine. */
async function removeServiceContainer(container: Docker.Container): Promise<void> {
  try {
    await withTimeout(container.remove({force: true, v: true}), 'remove service container')
  } catch (error) {
    if (statusCode(error) !== 404) throw new OrcaError('infra', `could not remove a service container: ${dockerMessage(error)}`, {cause: error})
  }
}

function formatTail(started: StartedService, job: string): string {
  const lines = started.log.lastLines(SERVICE_TAIL_LINES)
  const where = `logs/${job}.services/${started.service.name}.log`
  if (lines.length === 0) return `\nservice ${started.service.name} wrote nothing (${where})`
  return `\nlast ${lines.length === 1 ? 'line' : `${lines.length} lines`} of service ${started.service.name} (${where}):\n${lines.map((l) => `  ${l}`).join('\n')}`
}

function describeCheck(started: StartedService): string {
  const {ready} = started.service
  if (ready.kind === 'command') return `ready.command: ${shorten(ready.command)}`
  if (ready.kind === 'tcp') return `nothing listening on port ${ready.port}`
  return started.healthcheck ? "the image's HEALTHCHECK" : 'started'
}

/**
 * A POSIX sh script that exits 0 when a socket of the container listens on `port`, read from
 * /proc/net/tcp and tcp6 (state 0A): no nc, bash or curl needed in the image, and no route from the
 * host to the container (a remote engine or Docker Desktop has none).
 */
export function listeningScript(port: number): string {
  const hex = port.toString(16).toUpperCase().padStart(4, '0')
  return (
    'for f in /proc/net/tcp /proc/net/tcp6; do [ -r "$f" ] || continue; ' +
    `while read -r _ local _ state _; do case "$local" in *:${hex}) [ "$state" = 0A ] && exit 0;; esac; done < "$f"; done; exit 1`
  )
}

/** A timeout as jobs.yml would write it when it is whole seconds (`30s`, not `30.0s`). */
function showTimeout(ms: number): string {
  return ms % 1000 === 0 && ms < 60_000 ? `${ms / 1000}s` : formatDuration(ms)
}

function abortPromise(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), {once: true}))
}

function shorten(text: string): string {
  const line = text.replace(/\s+/g, ' ')
  return line.length > 120 ? `${line.slice(0, 119)}…` : line
}
