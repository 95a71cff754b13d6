import type Docker from 'dockerode'

import type {ResolvedConfig} from '../engine/config/types.js'
import {projectIdentity} from '../engine/project-identity.js'
import {isLive, sandboxesDirOf, type SandboxRecord} from '../engine/sandbox/record.js'
import {SandboxService} from '../engine/sandbox/service.js'
import type {QuotaLease, Quotas} from './quotas.js'

export interface ServedSandboxesOptions {
  projectDir: string
  config: ResolvedConfig
  env: NodeJS.ProcessEnv
  /** How often expired sandboxes are reaped (default 2 s). */
  reapIntervalMs?: number
  /** Each sandbox reaped at the end of its time-to-live: the one place a `sandbox.expired` notification is sent from. */
  onExpired?: (record: SandboxRecord) => void
  /** Where reaping problems are told (the server's stderr). */
  warn: (message: string) => void
  /** The server's per-key quotas: each sandbox holds a slot of its owner's from creation to its end. */
  quotas?: Quotas
}

/** What a sandbox is charged: its CPU limit times its whole lifetime. */
export function sandboxCpuSeconds(record: SandboxRecord, endedAt: number): number {
  return (record.limits.cpus * Math.max(0, endedAt - Date.parse(record.createdAt))) / 1000
}

/**
 * The quota leases of a server's sandboxes, by sandbox id: taken at creation (or again, uncapped, for
 * the live sandboxes a restarted server finds recorded), each released exactly once when its sandbox ends.
 */
class SandboxLeases {
  private readonly leases = new Map<string, {lease: QuotaLease; record: SandboxRecord}>()

  constructor(
    private readonly quotas: Quotas,
    /** The sandbox as recorded now (a touch moves its expiry). */
    private readonly current: (id: string) => SandboxRecord | undefined,
  ) {}

  /** Takes the owner's slot, or throws its 429 (whose Retry-After is when the owner's next sandbox expires). */
  admit(record: SandboxRecord, now: number): void {
    const {owner} = record
    if (owner === undefined) return
    const expiries = [...this.leases.values()].filter((held) => held.record.owner === owner).map((held) => Date.parse((this.current(held.record.id) ?? held.record).expiresAt))
    const nextFree = expiries.length === 0 ? 1 : (Math.min(...expiries) - now) / 1000
    this.leases.set(record.id, {lease: this.quotas.acquire(owner, 'sandbox', nextFree), record})
  }

  /** Charges the live sandboxes recorded before this server started to their owners again. */
  holdRecorded(records: readonly SandboxRecord[]): void {
    for (const record of records) {
      if (isLive(record) && record.owner !== undefined && !this.leases.has(record.id)) this.leases.set(record.id, {lease: this.quotas.hold(record.owner, 'sandbox'), record})
    }
  }

  /** Frees the sandbox's slot and charges its lifetime up to `endedAt` (a no-op for one that holds none). */
  release(id: string, endedAt: number): void {
    const held = this.leases.get(id)
    if (held === undefined) return
    this.leases.delete(id)
    held.lease.release(sandboxCpuSeconds(held.record, endedAt))
  }

  /** Releases the leases of sandboxes ended elsewhere (`orca clean`, another server of the project). */
  releaseEnded(now: number): void {
    for (const id of [...this.leases.keys()]) {
      const record = this.current(id)
      if (record === undefined || !isLive(record)) this.release(id, endedAtOf(record, now))
    }
  }

  /** Releases every lease, charged up to now: the server stops watching its sandboxes (they live on). */
  releaseAll(now: number): void {
    for (const id of [...this.leases.keys()]) this.release(id, now)
  }
}

/** The sandboxes of a served project, with their reaper running; `stop` ends the reaper (sandboxes outlive the server). */
export function servedSandboxes(options: ServedSandboxesOptions): {service: SandboxService; stop: () => void} {
  let docker: Promise<Docker> | undefined
  let connected = false
  const leases: SandboxLeases | undefined = options.quotas ? new SandboxLeases(options.quotas, (id) => service.records.get(id)) : undefined
  const service: SandboxService = new SandboxService({
    dir: sandboxesDirOf(options.config.runsDir),
    project: projectIdentity(options.projectDir),
    policy: options.config.serve.sandboxes,
    docker: () => {
      docker ??= (async () => {
        const {connectDocker} = await import('../engine/executor/docker/connect.js')
        const executor = await connectDocker({host: options.config.docker.host, env: options.env})
        connected = true
        return executor.docker
      })().catch((error: unknown) => {
        docker = undefined
        throw error
      })
      return docker
    },
    ...(options.onExpired ? {onExpired: options.onExpired} : {}),
    ...(leases ? {admit: (record: SandboxRecord) => leases.admit(record, Date.now()), onEnded: (record: SandboxRecord) => leases.release(record.id, endedAtOf(record, Date.now()))} : {}),
  })
  leases?.holdRecorded(service.list())
  // Said once when reaping starts failing (the engine went away), and again only after it worked.
  let failing = false
  const warn = (error: unknown): void => {
    if (!failing) options.warn(`orca serve: reaping sandboxes failed (tried again every few seconds): ${error instanceof Error ? error.message : String(error)}`)
    failing = true
  }
  // A server that never had a sandbox recorded needs no engine for them: it reaps once there is one.
  const reapIfAny = (): void => {
    if (connected || service.list().length > 0) {
      service.reap().then(() => {
        failing = false
        leases?.releaseEnded(Date.now())
      }, warn)
    }
  }
  // At start: the records a previous server left are reconciled with the engine at once.
  reapIfAny()
  const timer = setInterval(reapIfAny, options.reapIntervalMs ?? 2000)
  timer.unref()
  return {
    service,
    stop: () => {
      clearInterval(timer)
      leases?.releaseAll(Date.now())
    },
  }
}

function endedAtOf(record: SandboxRecord | undefined, now: number): number {
  return record?.endedAt === undefined ? now : Date.parse(record.endedAt)
}
