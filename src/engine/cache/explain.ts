import type {Plan} from '../plan/plan.js'
import {diffManifests, type ChangeArea, type KeyChange} from './diff.js'
import {shortKey} from './format.js'
import type {ImageIdResolver} from './image-id.js'
import {readLast} from './last.js'
import {planKeys, type PlannedKey} from './plan-keys.js'
import type {RunCache} from './run-cache.js'

/** Why a job would or would not run from the cache, with what changed since it was last cached. */
export interface Explanation {
  job: string
  key: string | null
  /** `cached`: a run restores it; `changed`: its key differs from the last cached one; `gone`: same key, entry removed. */
  state: 'cached' | 'changed' | 'never' | 'gone' | 'unknown' | 'disabled'
  why: string
  last?: {key: string; runId: string; createdAt: string}
  changes: KeyChange[]
  /** Explanations of the needs whose keys changed. */
  upstream: Explanation[]
}

/** Keys the job and everything it needs (nothing runs) and compares it with its last cached key. */
export async function explainJob(plan: Plan, cache: RunCache, imageId: ImageIdResolver, job: string): Promise<Explanation> {
  const rows = new Map((await planKeys(plan, cache, imageId)).map((r) => [r.job, r]))
  return explainRow(rows.get(job)!, rows, cache, new Set())
}

/** `explained`: upstream jobs already explained, so a diamond explains each job once. */
function explainRow(row: PlannedKey, rows: Map<string, PlannedKey>, cache: RunCache, explained: Set<string>): Explanation {
  const base = {job: row.job, key: row.keyed?.key ?? null, why: row.why, changes: [] as KeyChange[], upstream: [] as Explanation[]}
  if (!row.keyed) return {...base, state: 'unknown'}
  if (row.cache === 'disabled') return {...base, state: 'disabled'}
  const last = readLast(cache.store, cache.projectDir, row.job)
  const lastInfo = last ? {key: last.key, runId: last.runId, createdAt: last.createdAt} : undefined
  if (row.cache === 'hit') return {...base, state: 'cached', last: lastInfo}
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

const HEADLINE: Record<Explanation['state'], string> = {
  cached: 'cached: a run restores it without running it',
  changed: 'will run: its key changed since it was last cached',
  never: 'will run: it was never cached',
  gone: 'will run: its key is unchanged but the entry was removed (pruned or cleared)',
  unknown: 'key not known before running',
  disabled: 'never cached (cache: false)',
}

const AREAS: Array<[ChangeArea, string]> = [
  ['format', 'cache format'],
  ['image', 'image'],
  ['definition', 'definition'],
  ['services', 'services'],
  ['env', 'env'],
  ['secrets', 'secrets (names only)'],
  ['inputs', 'inputs'],
  ['needs', 'needs'],
]

/** Lists shown in full up to this many lines. */
const MAX_LINES = 40

/** Plain text for `orca explain`. */
export function formatExplanation(explanation: Explanation, indent = ''): string {
  const lines = [`${indent}${explanation.job}: ${HEADLINE[explanation.state]}`]
  const sub = `${indent}  `
  if (explanation.key) lines.push(`${sub}key     ${shortKey(explanation.key)}`)
  if (explanation.last) {
    lines.push(`${sub}last    ${shortKey(explanation.last.key)} cached by run ${explanation.last.runId} (${explanation.last.createdAt})`)
  }
  if (explanation.state === 'unknown' || explanation.state === 'never' || (explanation.state === 'cached' && !explanation.last)) {
    lines.push(`${sub}why     ${explanation.why}`)
  }
  for (const [area, title] of AREAS) {
    const changes = explanation.changes.filter((c) => c.area === area)
    if (changes.length === 0) continue
    lines.push(`${sub}${title}${area === 'inputs' ? ` (${changes.length} changed)` : ''}`)
    for (const change of changes.slice(0, MAX_LINES)) lines.push(`${sub}  ${change.text}`)
    if (changes.length > MAX_LINES) lines.push(`${sub}  … and ${changes.length - MAX_LINES} more`)
  }
  for (const up of explanation.upstream) lines.push(formatExplanation(up, `${sub}  `).trimEnd())
  return `${lines.join('\n')}\n`
}
