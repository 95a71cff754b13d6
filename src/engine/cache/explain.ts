import type {HostKeyResolver} from '../executor/host/key-commands.js'
import type {Plan} from '../plan/plan.js'
import {diffManifests, type KeyChange} from './diff.js'
import type {ImageIdResolver} from './image-id.js'
import {readLast} from './last.js'
import {planKeys, type PlannedKey} from './plan-keys.js'
import type {RunCache} from './run-cache.js'

/** Why a job would or would not run from the cache, with what changed since it was last cached. */
export interface Explanation {
  job: string
  key: string | null
  /** `cached`: a run restores it (`remote`: from the remote cache, downloading it); `changed`: its key differs from the last cached one; `gone`: same key, entry removed. */
  state: 'cached' | 'remote' | 'changed' | 'never' | 'gone' | 'unknown' | 'disabled'
  why: string
  last?: {key: string; runId: string; createdAt: string}
  changes: KeyChange[]
  /** Explanations of the needs whose keys changed. */
  upstream: Explanation[]
  /** The job's keyed volumes: each one's key, and whether the local cache holds an entry under it (never part of the job's key). */
  volumes?: Array<{name: string; key: string; stored: boolean}>
}

/** Keys the job and everything it needs (nothing runs) and compares it with its last cached key. */
export async function explainJob(plan: Plan, cache: RunCache, imageId: ImageIdResolver, hostKey: HostKeyResolver, job: string): Promise<Explanation> {
  const rows = new Map((await planKeys(plan, cache, imageId, hostKey)).map((r) => [r.job, r]))
  const explanation = explainRow(rows.get(job)!, rows, cache, new Set())
  const keyed = plan.jobs.get(job)
  const volumes = keyed === undefined ? [] : cache.keyVolumes(keyed).map((v) => ({name: v.name, key: v.key, stored: cache.volumes.read(v.key).status === 'found'}))
  return volumes.length > 0 ? {...explanation, volumes} : explanation
}

/** `explained`: upstream jobs already explained, so a diamond explains each job once. */
function explainRow(row: PlannedKey, rows: Map<string, PlannedKey>, cache: RunCache, explained: Set<string>): Explanation {
  const base = {job: row.job, key: row.keyed?.key ?? null, why: row.why, changes: [] as KeyChange[], upstream: [] as Explanation[]}
  if (!row.keyed) return {...base, state: 'unknown'}
  if (row.cache === 'disabled') return {...base, state: 'disabled'}
  const last = readLast(cache.store, cache.projectDir, row.job)
  const lastInfo = last ? {key: last.key, runId: last.runId, createdAt: last.createdAt} : undefined
  if (row.cache === 'hit') return {...base, state: row.source === 'remote' ? 'remote' : 'cached', last: lastInfo}
  if (!last) return {...base, state: 'never'}
  if (last.key === row.keyed.key) return {...base, state: 'gone', last: lastInfo}
  const changes = diffManifests(last.manifest, row.keyed.manifest)
  const upstream: Explanation[] = []
  for (const change of changes) {
    if (change.area !== 'needs' || change.need === undefined || !rows.has(change.need) || explained.has(change.need)) continue
    explained.add(change.need)
    upstream.push(explainRow(rows.get(change.need)!, rows, cache, explained))
  }
  return {...base, state: 'changed', last: lastInfo, changes, upstream}
}
