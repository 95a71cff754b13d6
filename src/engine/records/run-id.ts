import {randomBytes} from 'node:crypto'
import {readdir} from 'node:fs/promises'

import {OrcaError} from '../errors.js'

/** `20261125T203015123Z-3f9a1c`: UTC time to the millisecond, then 24 random bits. */
export const RUN_ID_PATTERN = /^[0-9]{8}T[0-9]{9}Z-[0-9a-f]{6}$/

/**
 * A new run id. Fixed-width digits make lexicographic order chronological; the random suffix keeps
 * ids of runs started in the same millisecond by different processes apart. Only `[0-9A-Za-z-]`,
 * so it is safe in paths, URLs and shells.
 */
export function newRunId(now: Date = new Date()): string {
  const iso = now.toISOString() // 2026-11-25T20:30:15.123Z
  const stamp = iso.replace(/[-:]/g, '').replace('.', '') // 20261125T203015123Z
  return `${stamp}-${randomBytes(3).toString('hex')}`
}

/** The ids of the runs under `runsDir`, newest first; none when the directory does not exist. */
export async function listRunIds(runsDir: string): Promise<string[]> {
  let entries
  try {
    entries = await readdir(runsDir, {withFileTypes: true})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new OrcaError('infra', `cannot read the runs directory ${runsDir}: ${(error as Error).message}`, {cause: error})
  }
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort()
    .reverse()
}

/** Resolves what a user typed (an exact id, a unique prefix or `latest`) to a run id. */
export async function resolveRunId(runsDir: string, ref: string): Promise<string> {
  return pickRunId(await listRunIds(runsDir), ref, runsDir)
}

/** The run id `ref` names among `ids` (newest first) of the runs recorded in `where` (a folder or a server). */
export function pickRunId(ids: readonly string[], ref: string, where: string): string {
  if (ids.length === 0) {
    throw new OrcaError('usage', `no runs recorded in ${where}`, {hint: 'start one with `orca run`'})
  }
  if (ref === 'latest') return ids[0] as string
  if (ids.includes(ref)) return ref
  const matches = ids.filter((id) => id.startsWith(ref))
  if (matches.length === 1) return matches[0] as string
  if (matches.length === 0) {
    throw new OrcaError('usage', `no run matches "${ref}" in ${where}`, {
      hint: `recent runs: ${ids.slice(0, 5).join(', ')} (or use "latest")`,
    })
  }
  const shown = matches.slice(0, 10).join(', ') + (matches.length > 10 ? `, … (${matches.length} in all)` : '')
  throw new OrcaError('usage', `"${ref}" matches more than one run: ${shown}`, {hint: 'type more of the id'})
}
