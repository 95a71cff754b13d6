import {readFileSync, rmSync, statSync, utimesSync} from 'node:fs'
import * as path from 'node:path'

import {OrcaError} from '../errors.js'
import {currentProcess, type ProcessIdentity} from '../process-identity.js'
import {writeJsonAtomic} from '../records/store.js'

/** The lock a live run holds in its directory; removed when the run is recorded as finished. */
export const LOCK_FILE = 'lock.json'
/** How often a live run touches its lock, so other hosts can tell a quiet run from a dead one. */
export const HEARTBEAT_MS = 30_000

/** `lock.json`: who runs the run. */
export interface RunLock extends ProcessIdentity {
  runId: string
  acquiredAt: string
}

/** A lock this process holds. */
export interface HeldRunLock {
  readonly lock: RunLock
  /** Stops the heartbeat and removes the lock; safe to call twice. */
  release(): void
}

/** Writes `<dir>/lock.json` for this process and keeps its mtime fresh until released. */
export function acquireRunLock(dir: string, runId: string, owner: ProcessIdentity = currentProcess()): HeldRunLock {
  const file = path.join(dir, LOCK_FILE)
  const lock: RunLock = {runId, ...owner, acquiredAt: new Date().toISOString()}
  try {
    // Not flushed to disk: after a crash the owner is dead whether or not its lock survived.
    writeJsonAtomic(file, lock)
  } catch (error) {
    throw new OrcaError('infra', `cannot write the run lock ${file}: ${(error as Error).message}`, {cause: error})
  }
  const heartbeat = setInterval(() => {
    const now = new Date()
    try {
      utimesSync(file, now, now)
    } catch {
      // A run directory removed under a live run is not the run's failure.
    }
  }, HEARTBEAT_MS)
  heartbeat.unref()
  let released = false
  return {
    lock,
    release() {
      if (released) return
      released = true
      clearInterval(heartbeat)
      rmSync(file, {force: true})
    },
  }
}

/** A run's lock and when it was last touched; undefined when there is none (or it is unreadable). */
export function readRunLock(dir: string): {lock: RunLock; touchedAt: number} | undefined {
  const file = path.join(dir, LOCK_FILE)
  try {
    const lock = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunLock>
    if (typeof lock.pid !== 'number' || typeof lock.host !== 'string' || typeof lock.startTime !== 'string') return undefined
    return {lock: lock as RunLock, touchedAt: statSync(file).mtimeMs}
  } catch {
    return undefined
  }
}

/** Removes a dead run's lock. */
export function removeRunLock(dir: string): void {
  rmSync(path.join(dir, LOCK_FILE), {force: true})
}
