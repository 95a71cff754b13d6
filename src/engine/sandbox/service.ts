import * as net from 'node:net'
import type {Readable} from 'node:stream'

import type Docker from 'dockerode'

import {expiryAfter, isExpired} from '../expiry.js'
import {dockerMessage, statusCode, withTimeout} from '../executor/docker/call.js'
import {hardenedHostConfig, LABEL, projectLabels, scopeFilter} from '../executor/docker/container-spec.js'
import {demux, execExitCode} from '../executor/docker/exec.js'
import {execShell} from '../executor/docker/exec-shell.js'
import {ensureImage} from '../executor/docker/images.js'
import {removeContainer} from '../executor/docker/resources.js'
import type {ResourceScope, ShellTerminal} from '../executor/types.js'
import type {ProjectIdentity} from '../project-identity.js'
import {SandboxError} from './errors.js'
import {checkedUpload, DEFAULT_UPLOAD_LIMITS, sandboxPath, type UploadLimits} from './files.js'
import {imageAllowed, resolveLimits, resolveTtl, type SandboxLimitsRequest, type SandboxPolicy} from './policy.js'
import {isLive, newSandboxId, SandboxRecords, type SandboxRecord} from './record.js'
import {reconcileSandboxes, type ReconcileAction, type SandboxContainer} from './reconcile.js'

export interface SandboxServiceOptions {
  /** The folder of the records (`sandboxesDirOf(runsDir)`). */
  dir: string
  project: ProjectIdentity
  policy: SandboxPolicy
  /** The engine, connected on first use (a server that never makes a sandbox never needs it). */
  docker: () => Promise<Docker>
  uploadLimits?: UploadLimits
  now?: () => number
  /** Called once for each sandbox reaped because its time-to-live passed (the `sandbox.expired` hook). */
  onExpired?: (record: SandboxRecord) => void
  /** Called before a sandbox is recorded; may refuse it by throwing (the owner's quota). */
  admit?: (record: SandboxRecord) => void
  /** Called when a sandbox this service admitted or found ends: deleted, expired, found gone, or its creation failed. */
  onEnded?: (record: SandboxRecord) => void
}

export interface CreateSandboxRequest {
  image: string
  ttlMs?: number
  limits?: SandboxLimitsRequest
  env?: Record<string, string>
  workdir?: string
  network?: 'bridge' | 'none'
  /** Whose quota it counts against. */
  owner?: string
}

export interface SandboxExecRequest {
  cmd: string[]
  env?: Record<string, string>
  workdir?: string
  /** Given to the command's standard input, then closed. */
  stdin?: Buffer
}

/** What one reconciliation did, for the server's log and `orca clean`. */
export interface ReapReport {
  actions: ReconcileAction[]
}

// The sandbox's first process: waits for a stop (docker-init forwards SIGTERM), holds nothing open.
const HOLD = "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"

/**
 * Long-lived sandboxes: hardened, labelled containers with a time-to-live, recorded one JSON file
 * each so that a restarted server lists them again and nothing is left running unaccounted for.
 */
export class SandboxService {
  readonly records: SandboxRecords
  private readonly now: () => number
  private reaping: Promise<ReapReport> | undefined

  constructor(private readonly options: SandboxServiceOptions) {
    this.records = new SandboxRecords(options.dir)
    this.now = options.now ?? Date.now
  }

  /** Makes a sandbox: recorded first, then its container created and started; its time-to-live starts now. */
  async create(request: CreateSandboxRequest): Promise<SandboxRecord> {
    const {policy} = this.options
    if (!imageAllowed(request.image, policy)) {
      throw new SandboxError('image_not_allowed', `image ${JSON.stringify(request.image)} is not one the server allows for sandboxes`, {
        hint: policy.images.length === 0 ? 'the server allows none: list images under serve.sandboxes.images in its configuration' : `allowed: ${policy.images.join(', ')}`,
      })
    }
    const network = request.network ?? (policy.allowNetwork ? 'bridge' : 'none')
    if (network === 'bridge' && !policy.allowNetwork) throw new SandboxError('no_network', 'the server gives sandboxes no network (serve.sandboxes.network: false)')
    if (this.records.list().filter(isLive).length >= policy.maxSandboxes) {
      throw new SandboxError('limit_reached', `the server already has ${policy.maxSandboxes} sandboxes (serve.sandboxes.max)`, {hint: 'delete one, or wait until one expires'})
    }
    const ttlMs = resolveTtl(request.ttlMs, policy)
    const now = this.now()
    const record: SandboxRecord = {
      id: newSandboxId(),
      image: request.image,
      state: 'creating',
      createdAt: new Date(now).toISOString(),
      expiresAt: expiryAfter(now, ttlMs),
      ttlMs,
      limits: resolveLimits(request.limits, policy),
      network,
      workdir: sandboxPath(request.workdir ?? '/workspace'),
      envNames: Object.keys(request.env ?? {}).sort(),
      ...(request.owner === undefined ? {} : {owner: request.owner}),
    }
    this.options.admit?.(record)
    try {
      this.records.put(record)
      const docker = await this.options.docker()
      record.imageId = await ensureImage(docker, request.image, AbortSignal.timeout(10 * 60_000))
      const container = await withTimeout(docker.createContainer(this.containerSpec(record, request.env ?? {})), 'create container')
      record.containerId = container.id
      await withTimeout(container.start(), 'start container')
      record.state = 'running'
      this.records.put(record)
      return record
    } catch (error) {
      // Nothing half-made stays: the container (if any) goes, and so does the record.
      if (record.containerId) await removeContainer((await this.options.docker()).getContainer(record.containerId)).catch(() => undefined)
      this.records.delete(record.id)
      // It never ran: it ends when it began (its owner is charged nothing).
      this.options.onEnded?.({...record, endedAt: record.createdAt, reason: 'its creation failed'})
      throw error
    }
  }

  /** Every recorded sandbox, oldest first (ended ones too, for a day). */
  list(): SandboxRecord[] {
    return this.records.list()
  }

  get(id: string): SandboxRecord {
    const record = this.records.get(id)
    if (!record) throw new SandboxError('not_found', `no sandbox ${JSON.stringify(id)}`)
    return record
  }

  /** Moves the expiry to `ttlMs` (default: the sandbox's own time-to-live) from now, clamped to the server's maximum. */
  touch(id: string, ttlMs?: number): SandboxRecord {
    const record = this.live(id)
    const ttl = resolveTtl(ttlMs ?? record.ttlMs, this.options.policy)
    record.expiresAt = expiryAfter(this.now(), ttl)
    this.records.put(record)
    return record
  }

  /** Removes the sandbox's container and its record. */
  async remove(id: string): Promise<void> {
    const record = this.get(id)
    if (record.containerId) await removeContainer((await this.options.docker()).getContainer(record.containerId))
    else await this.removeLabelled(id)
    this.records.delete(id)
    this.options.onEnded?.(this.ended(record, 'deleted'))
  }

  /**
   * Starts a command in the sandbox, its output passed on as it comes; resolves once it runs (a
   * sandbox that is not there fails here), with `exitCode` settling when it ends. `signal` stops
   * listening (the client went away); the command goes on until it ends or the sandbox does.
   */
  async exec(id: string, request: SandboxExecRequest, onOutput: (stream: 'stdout' | 'stderr', chunk: Buffer) => void, signal?: AbortSignal): Promise<{exitCode: Promise<number | null>}> {
    const record = this.live(id)
    const docker = await this.options.docker()
    const container = docker.getContainer(record.containerId!)
    const withStdin = request.stdin !== undefined
    const workdir = request.workdir === undefined ? record.workdir : sandboxPath(request.workdir)
    const exec = await this.onContainer(record, () =>
      withTimeout(
        container.exec({
          Cmd: request.cmd,
          Env: Object.entries(request.env ?? {}).map(([key, value]) => `${key}=${value}`),
          WorkingDir: workdir,
          AttachStdin: withStdin,
          AttachStdout: true,
          AttachStderr: true,
          Tty: false,
        }),
        'exec create',
      ),
    )
    const stream = await withTimeout(exec.start({hijack: true, stdin: withStdin, Tty: false}), 'exec start')
    demux(docker, stream, onOutput)
    if (withStdin) stream.end(request.stdin)
    const ended = new Promise<boolean>((resolve, reject) => {
      stream.once('end', () => resolve(true))
      stream.once('close', () => resolve(true))
      stream.once('error', reject)
      signal?.addEventListener('abort', () => resolve(false), {once: true})
    })
    const exitCode = ended.then(async (whole) => {
      if (whole) return execExitCode(exec)
      stream.destroy()
      return null
    })
    return {exitCode}
  }

  /** Extracts a tar into `dir` of the sandbox, after checking all of it; resolves to what was written. */
  async putFiles(id: string, dir: string, tar: Readable): Promise<{files: number; bytes: number}> {
    const record = this.live(id)
    const target = sandboxPath(dir)
    const upload = await checkedUpload(tar, target, this.options.uploadLimits ?? DEFAULT_UPLOAD_LIMITS)
    try {
      const container = (await this.options.docker()).getContainer(record.containerId!)
      await this.onContainer(record, () => withTimeout(Promise.all([container.putArchive(upload.archive.stream, {path: '/'}), upload.archive.done]), 'copy into the sandbox', 10 * 60_000))
      const files = upload.entries.filter((entry) => entry.type === 'file')
      return {files: files.length, bytes: files.reduce((sum, entry) => sum + (entry.type === 'file' ? entry.size : 0), 0)}
    } finally {
      upload.dispose()
    }
  }

  /** A tar of `file` (a file or a folder) in the sandbox, as the engine archives it. */
  async getFiles(id: string, file: string): Promise<Readable> {
    const record = this.live(id)
    const container = (await this.options.docker()).getContainer(record.containerId!)
    return this.onContainer(record, async () => (await withTimeout(container.getArchive({path: sandboxPath(file)}), 'copy out of the sandbox')) as unknown as Readable)
  }

  /** A shell (or `cmd`) with a pseudo-terminal in the sandbox, on `terminal`; `signal` hangs it up; resolves to its exit code. */
  async shell(id: string, terminal: ShellTerminal, options: {cmd?: string[]; signal?: AbortSignal} = {}): Promise<number | null> {
    const {cmd, signal} = options
    const record = this.live(id)
    const docker = await this.options.docker()
    return execShell(docker, docker.getContainer(record.containerId!), terminal, {env: {}, workdir: record.workdir, ...(cmd ? {cmd} : {}), ...(signal ? {signal} : {})})
  }

  /** A TCP connection from here to `port` of the sandbox, on its address on the bridge network. */
  async connectPort(id: string, port: number): Promise<net.Socket> {
    const record = this.live(id)
    if (record.network !== 'bridge') throw new SandboxError('no_network', `sandbox ${id} has no network (network: none): its ports cannot be forwarded`)
    const container = (await this.options.docker()).getContainer(record.containerId!)
    const info = await this.onContainer(record, () => withTimeout(container.inspect(), 'inspect container'))
    const address = Object.values(info.NetworkSettings.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress
    if (!address) throw new SandboxError('no_network', `sandbox ${id} has no address on a network`)
    return new Promise((resolve, reject) => {
      const socket = net.connect({host: address, port})
      socket.once('connect', () => {
        socket.off('error', reject)
        resolve(socket)
      })
      socket.once('error', reject)
    })
  }

  /**
   * Brings records and the engine's labelled containers into line (reconcileSandboxes): expired
   * sandboxes are removed, containers nobody records are removed, records of vanished containers
   * marked gone. One pass at a time; a pass asked for meanwhile shares the one under way.
   */
  reap(): Promise<ReapReport> {
    this.reaping ??= this.reapOnce().finally(() => (this.reaping = undefined))
    return this.reaping
  }

  private async reapOnce(): Promise<ReapReport> {
    const docker = await this.options.docker()
    const containers = await listSandboxContainers(docker, {projectId: this.options.project.id})
    const actions = reconcileSandboxes(this.records.list(), containers, this.now())
    await applyReconcile(docker, this.records, actions, this.now(), this.options)
    return {actions}
  }

  /** The record as it ends now (what `onEnded` is told). */
  private ended(record: SandboxRecord, reason: string): SandboxRecord {
    return {...record, endedAt: new Date(this.now()).toISOString(), reason}
  }

  /** The record of a sandbox that is running and not past its time-to-live. */
  private live(id: string): SandboxRecord {
    const record = this.get(id)
    if (record.state !== 'running' || record.containerId === undefined) throw new SandboxError('not_running', `sandbox ${id} is ${record.state}${record.reason ? ` (${record.reason})` : ''}`)
    if (isExpired(record.expiresAt, this.now())) throw new SandboxError('not_running', `sandbox ${id} expired at ${record.expiresAt}`)
    return record
  }

  /** Runs an engine call on the sandbox's container; a container found missing marks the sandbox gone. */
  private async onContainer<T>(record: SandboxRecord, call: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (error) {
      const status = statusCode(error)
      if (status === 404) {
        // The engine says 404 both for a missing container and for a missing path in one: ask which.
        const exists = await withTimeout((await this.options.docker()).getContainer(record.containerId!).inspect(), 'inspect container').then(
          () => true,
          (inspectError: unknown) => statusCode(inspectError) !== 404,
        )
        if (!exists) {
          const gone: SandboxRecord = {...this.ended(record, 'its container no longer exists'), state: 'gone'}
          this.records.put(gone)
          this.options.onEnded?.(gone)
          throw new SandboxError('not_running', `sandbox ${record.id} is gone (its container no longer exists)`)
        }
        throw new SandboxError('not_found', `no such file or folder in sandbox ${record.id}: ${dockerMessage(error)}`)
      }
      if (status === 409) throw new SandboxError('not_running', `sandbox ${record.id}'s container is not running`)
      throw error
    }
  }

  private async removeLabelled(id: string): Promise<void> {
    const docker = await this.options.docker()
    for (const container of await listSandboxContainers(docker, {projectId: this.options.project.id})) {
      if (container.sandboxId === id) await removeContainer(docker.getContainer(container.id))
    }
  }

  private containerSpec(record: SandboxRecord, env: Record<string, string>): Docker.ContainerCreateOptions {
    return {
      name: `orca-${record.id}`,
      Image: record.imageId,
      Entrypoint: ['sh'],
      Cmd: ['-c', HOLD],
      Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
      WorkingDir: record.workdir,
      Tty: false,
      OpenStdin: false,
      Labels: {...projectLabels(this.options.project), [LABEL.sandbox]: record.id, [LABEL.keepUntil]: record.expiresAt},
      HostConfig: hardenedHostConfig(record.limits, record.network),
    }
  }
}

/** The engine's containers labelled as sandboxes, in `scope`. */
export async function listSandboxContainers(docker: Docker, scope: ResourceScope): Promise<SandboxContainer[]> {
  const list = await withTimeout(docker.listContainers({all: true, filters: {label: [...scopeFilter(scope), LABEL.sandbox]}}), 'list containers')
  return list.map((info) => ({id: info.Id, sandboxId: info.Labels[LABEL.sandbox]!, running: info.State === 'running'}))
}

/** Carries out reconciliation actions: containers removed first, then the records say so (and the hooks hear of each sandbox that ended). */
export async function applyReconcile(
  docker: Docker,
  records: SandboxRecords,
  actions: readonly ReconcileAction[],
  now: number,
  hooks: Pick<SandboxServiceOptions, 'onExpired' | 'onEnded'> = {},
): Promise<void> {
  const endedAt = new Date(now).toISOString()
  for (const action of actions) {
    switch (action.kind) {
      case 'expire': {
        if (action.containerId) await removeContainer(docker.getContainer(action.containerId))
        const ended: SandboxRecord = {...action.record, state: 'expired', endedAt, reason: `its time-to-live ended at ${action.record.expiresAt}`}
        records.put(ended)
        hooks.onEnded?.(ended)
        hooks.onExpired?.(ended)
        break
      }
      case 'gone': {
        if (action.containerId) await removeContainer(docker.getContainer(action.containerId))
        const gone: SandboxRecord = {...action.record, state: 'gone', endedAt, reason: action.reason}
        records.put(gone)
        hooks.onEnded?.(gone)
        break
      }
      case 'adopt':
        records.put({...action.record, state: 'running', containerId: action.containerId})
        break
      case 'orphan':
        await removeContainer(docker.getContainer(action.containerId))
        break
      case 'forget':
        records.delete(action.record.id)
        break
    }
  }
}
