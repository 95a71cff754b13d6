import {isExpired} from '../expiry.js'
import {isLive, type SandboxRecord} from './record.js'

/** A container labelled as a sandbox's, as the engine lists it. */
export interface SandboxContainer {
  id: string
  sandboxId: string
  running: boolean
}

/** What to do to bring records and containers into line; each decided from data alone. */
export type ReconcileAction =
  /** The record's time-to-live passed: remove its container (if any), record it `expired`. */
  | {kind: 'expire'; record: SandboxRecord; containerId?: string}
  /** A live record whose container is missing or stopped: remove what is left, record it `gone`. */
  | {kind: 'gone'; record: SandboxRecord; containerId?: string; reason: string}
  /** A record left `creating` (the server died after making its container): it is running. */
  | {kind: 'adopt'; record: SandboxRecord; containerId: string}
  /** A labelled container no live record claims: removed. */
  | {kind: 'orphan'; containerId: string; sandboxId: string}
  /** An ended record older than the time ended records are kept: deleted. */
  | {kind: 'forget'; record: SandboxRecord}

/** How long a `gone` or `expired` record stays readable (so a client learns what became of its sandbox). */
export const ENDED_RECORD_KEPT_MS = 24 * 3_600_000

/** A record in `creating` younger than this may still be getting its container: left alone. */
export const CREATING_GRACE_MS = 5 * 60_000

/**
 * The one reconciliation of sandbox records with the engine's labelled containers, used by the
 * server's reaper, at its start, and by `orca clean`: expired sandboxes go, containers of no live
 * record go, records of missing containers are marked gone. Nothing is left running unaccounted for.
 */
export function reconcileSandboxes(records: readonly SandboxRecord[], containers: readonly SandboxContainer[], now: number): ReconcileAction[] {
  const actions: ReconcileAction[] = []
  const claimed = new Set<string>()
  const bySandbox = new Map<string, SandboxContainer>()
  for (const container of containers) bySandbox.set(container.sandboxId, container)
  for (const record of records) {
    if (!isLive(record)) {
      if (record.endedAt !== undefined && Date.parse(record.endedAt) + ENDED_RECORD_KEPT_MS <= now) actions.push({kind: 'forget', record})
      continue
    }
    const container = containers.find((c) => c.id === record.containerId) ?? bySandbox.get(record.id)
    if (container) claimed.add(container.id)
    const containerId = container === undefined ? {} : {containerId: container.id}
    const beingMade = record.state === 'creating' && Date.parse(record.createdAt) + CREATING_GRACE_MS > now
    if (isExpired(record.expiresAt, now)) {
      actions.push({kind: 'expire', record, ...containerId})
    } else if (beingMade && container?.running !== true) {
      // Its container may be being created or started right now (by this process or another).
      continue
    } else if (container === undefined) {
      actions.push({kind: 'gone', record, reason: 'its container no longer exists'})
    } else if (!container.running) {
      actions.push({kind: 'gone', record, containerId: container.id, reason: 'its container stopped'})
    } else if (record.state === 'creating') {
      actions.push({kind: 'adopt', record, containerId: container.id})
    }
  }
  for (const container of containers) {
    if (!claimed.has(container.id)) actions.push({kind: 'orphan', containerId: container.id, sandboxId: container.sandboxId})
  }
  return actions
}
