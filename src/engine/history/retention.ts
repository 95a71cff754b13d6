import {rm} from 'node:fs/promises'

import type {RunRecord} from '../records/record.js'
import {runDir} from '../records/store.js'
import {inspectRuns} from './abandon.js'
import {systemProbe, type LivenessProbe} from './liveness.js'

/** `retention` from configuration: keep at most `maxRuns` runs, none older than `maxAgeMs`. */
export interface RetentionPolicy {
  maxRuns?: number
  maxAgeMs?: number
}

/**
 * The runs a policy removes, from records newest first. A run still `running` (alive: dead ones
 * were marked abandoned when read) is never removed but counts toward `maxRuns`. Age is from start.
 */
export function expiredRuns(records: Pick<RunRecord, 'id' | 'status' | 'startedAt'>[], policy: RetentionPolicy, now: number): string[] {
  const expired: string[] = []
  for (const [index, record] of records.entries()) {
    if (record.status === 'running') continue
    const tooMany = policy.maxRuns !== undefined && index >= policy.maxRuns
    const tooOld = policy.maxAgeMs !== undefined && now - Date.parse(record.startedAt) > policy.maxAgeMs
    if (tooMany || tooOld) expired.push(record.id)
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
  if (policy.maxRuns === undefined && policy.maxAgeMs === undefined) return []
  const records = await inspectRuns(runsDir, options.probe ?? systemProbe())
  const expired = expiredRuns(records, policy, options.now ?? Date.now())
  await removeRuns(runsDir, expired)
  return expired
}
