import * as os from 'node:os'

import {pidExists, startTimeOf, type ProcessIdentity} from '../process-identity.js'
import {runDir} from '../records/store.js'
import {readRunLock} from './lock.js'

/** A lock not touched for this long belongs to a dead run, whatever its host (the heartbeat is 30 s). */
export const STALE_LOCK_MS = 10 * 60_000

export type Liveness = {alive: true; reason: string} | {alive: false; reason: string}

/** What liveness needs to know about this machine; tests pass their own. */
export interface LivenessProbe {
  host: string
  pidExists(pid: number): boolean
  /** undefined when it cannot be read (not Linux, or the process is gone). */
  startTimeOf(pid: number): string | undefined
  now(): number
}

export function systemProbe(): LivenessProbe {
  return {host: os.hostname(), pidExists, startTimeOf, now: Date.now}
}

/**
 * Whether an owner process is alive. On this host: its pid exists and started when the owner says
 * (a reused pid has another start time). On another host nothing can be checked, so the owner is
 * alive unless `touchedAt` (a heartbeat) says it went quiet more than STALE_LOCK_MS ago.
 */
export function judgeOwner(owner: ProcessIdentity, probe: LivenessProbe, touchedAt?: number): Liveness {
  const stale = touchedAt !== undefined && probe.now() - touchedAt > STALE_LOCK_MS
  if (owner.host !== probe.host) {
    return stale
      ? {alive: false, reason: `its lock from host ${owner.host} has not been refreshed since ${new Date(touchedAt).toISOString()}`}
      : {alive: true, reason: `owned by pid ${owner.pid} on host ${owner.host}`}
  }
  if (!probe.pidExists(owner.pid)) return {alive: false, reason: `orca process ${owner.pid} on ${owner.host} is gone`}
  const started = probe.startTimeOf(owner.pid)
  if (started !== undefined && started !== owner.startTime) {
    return {alive: false, reason: `orca process ${owner.pid} on ${owner.host} is gone (its pid now belongs to another process)`}
  }
  if (started === undefined && stale) {
    return {alive: false, reason: `its lock has not been refreshed since ${new Date(touchedAt).toISOString()}`}
  }
  return {alive: true, reason: `owned by pid ${owner.pid} on host ${owner.host}`}
}

/** A run is alive only while its lock says so: no lock (finished, or never started) means not alive. */
export function runLiveness(runsDir: string, runId: string, probe: LivenessProbe = systemProbe()): Liveness {
  const held = readRunLock(runDir(runsDir, runId))
  if (held === undefined) return {alive: false, reason: 'it holds no lock (its orca process ended without recording an end)'}
  return judgeOwner(held.lock, probe, held.touchedAt)
}
