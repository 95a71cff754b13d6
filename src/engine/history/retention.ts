import {lstatSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import * as path from 'node:path'

import type {RunRecord} from '../records/record.js'
import {runDir} from '../records/store.js'
import {listRunIds} from '../records/run-id.js'
import {inspectRun} from './abandon.js'
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
  const runs = await retainedRuns(runsDir, options.probe ?? systemProbe())
  const expired = expiredRuns(runs, policy, options.now ?? Date.now())
  await removeRuns(runsDir, expired)
  return expired
}

/** Where what retention weighs of a finished run is remembered once read (none of it changes again). */
const STAMP_FILE = '.retained.json'

/**
 * Every run as retention weighs it, newest first. A finished run is read and measured once, then
 * known from its stamp: retention runs after every run, and reading a hundred run records each time
 * was most of a fully cached run's cost (docs/performance.md). A run without a stamp (running, or
 * finished since the last pass) is inspected, so a dead one is recorded as abandoned as before.
 */
export async function retainedRuns(runsDir: string, probe: LivenessProbe): Promise<RetainedRun[]> {
  const runs: RetainedRun[] = []
  for (const id of await listRunIds(runsDir)) {
    const dir = runDir(runsDir, id)
    const stamped = readStamp(dir)
    if (stamped !== undefined) {
      runs.push({id, ...stamped})
      continue
    }
    let record
    try {
      record = await inspectRun(runsDir, id, probe)
    } catch {
      // A directory that is not a run (or one deleted while listing) is not one retention weighs.
    }
    if (record === undefined) continue
    const run: RetainedRun = {id, status: record.status, startedAt: record.startedAt, bytes: runBytes(dir)}
    if (record.status !== 'running') writeStamp(dir, run)
    runs.push(run)
  }
  return runs
}

function readStamp(dir: string): Omit<RetainedRun, 'id'> | undefined {
  try {
    const {status, startedAt, bytes} = JSON.parse(readFileSync(path.join(dir, STAMP_FILE), 'utf8')) as Record<string, unknown>
    if (typeof status === 'string' && status !== 'running' && typeof startedAt === 'string' && typeof bytes === 'number') {
      return {status: status as RetainedRun['status'], startedAt, bytes}
    }
  } catch {
    // Not weighed yet (or written by a crashed pass): inspected again.
  }
  return undefined
}

function writeStamp(dir: string, run: RetainedRun): void {
  try {
    writeFileSync(path.join(dir, STAMP_FILE), JSON.stringify({status: run.status, startedAt: run.startedAt, bytes: run.bytes}))
  } catch {
    // Weighed again next time.
  }
}

/**
 * The bytes a run directory alone holds: its files with one link. An artifact that is a hard link
 * into the cache (or another run) costs nothing more while shared.
 */
export function runBytes(dir: string): number {
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
  return bytes
}
