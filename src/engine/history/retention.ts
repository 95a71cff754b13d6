import {lstatSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import * as path from 'node:path'

import type {RunRecord} from '../records/record.js'
import {runDir} from '../records/store.js'
import {inspectRuns} from './abandon.js'
import {systemProbe, type LivenessProbe} from './liveness.js'

/** `retention` from configuration: keep at most `maxRuns` runs, none older than `maxAgeMs`, all together within `maxBytes`. */
export interface RetentionPolicy {
  maxRuns?: number
  maxAgeMs?: number
  maxBytes?: number
}

/** A run as retention weighs it; `bytes` only matters under a size bound. */
export type RetainedRun = Pick<RunRecord, 'id' | 'status' | 'startedAt'> & {bytes?: number}

/**
 * The runs a policy removes, from records newest first. A run still `running` (alive: dead ones
 * were marked abandoned when read) is never removed but counts toward `maxRuns` and `maxBytes`.
 * Age is from start. Under a size bound, runs are kept newest first while they fit (then every
 * older one goes); the newest finished run is always kept, however large.
 */
export function expiredRuns(records: RetainedRun[], policy: RetentionPolicy, now: number): string[] {
  const expired: string[] = []
  let bytes = 0
  let keptFinished = false
  let full = false
  for (const [index, record] of records.entries()) {
    if (record.status === 'running') {
      bytes += record.bytes ?? 0
      continue
    }
    const tooMany = policy.maxRuns !== undefined && index >= policy.maxRuns
    const tooOld = policy.maxAgeMs !== undefined && now - Date.parse(record.startedAt) > policy.maxAgeMs
    // Once a run does not fit, every older one goes too: what is kept is the newest runs, without gaps.
    full ||= policy.maxBytes !== undefined && keptFinished && bytes + (record.bytes ?? 0) > policy.maxBytes
    if (tooMany || tooOld || full) {
      expired.push(record.id)
      continue
    }
    bytes += record.bytes ?? 0
    keptFinished = true
  }
  return expired
}

/** Removes whole run directories. */
export async function removeRuns(runsDir: string, ids: string[]): Promise<void> {
  for (const id of ids) await rm(runDir(runsDir, id), {recursive: true, force: true})
}

/** Applies a retention policy to `runsDir` (after each run); returns the ids removed. */
export async function applyRetention(
  runsDir: string,
  policy: RetentionPolicy,
  options: {now?: number; probe?: LivenessProbe} = {},
): Promise<string[]> {
  if (policy.maxRuns === undefined && policy.maxAgeMs === undefined && policy.maxBytes === undefined) return []
  const records: RetainedRun[] = await inspectRuns(runsDir, options.probe ?? systemProbe())
  if (policy.maxBytes !== undefined) {
    for (const record of records) record.bytes = runBytes(runDir(runsDir, record.id), record.status !== 'running')
  }
  const expired = expiredRuns(records, policy, options.now ?? Date.now())
  await removeRuns(runsDir, expired)
  return expired
}

/** Where the size of a finished run is remembered once measured (it no longer changes). */
const SIZE_FILE = '.size.json'

/**
 * The bytes a run directory alone holds: its files with one link. An artifact that is a hard link
 * into the cache (or another run) costs nothing more while shared. A finished run is measured once.
 */
export function runBytes(dir: string, finished: boolean): number {
  const stamp = path.join(dir, SIZE_FILE)
  if (finished) {
    try {
      const {bytes} = JSON.parse(readFileSync(stamp, 'utf8')) as {bytes?: unknown}
      if (typeof bytes === 'number') return bytes
    } catch {
      // Not measured yet.
    }
  }
  let bytes = 0
  const walk = (folder: string): void => {
    let names
    try {
      names = readdirSync(folder, {withFileTypes: true})
    } catch {
      return
    }
    for (const entry of names) {
      const file = path.join(folder, entry.name)
      if (entry.isDirectory()) walk(file)
      else if (entry.isFile()) {
        const stat = lstatSync(file, {throwIfNoEntry: false})
        if (stat !== undefined && stat.nlink === 1) bytes += stat.size
      }
    }
  }
  walk(dir)
  if (finished) {
    try {
      writeFileSync(stamp, JSON.stringify({bytes}))
    } catch {
      // Measured again next time.
    }
  }
  return bytes
}
