import {shortKey} from '../cache/format.js'
import type {ImageIdResolver} from '../cache/image-id.js'
import type {PlannedKey} from '../cache/plan-keys.js'
import {OrcaError} from '../errors.js'
import type {Executor} from '../executor/types.js'
import type {Pipeline} from '../pipeline/types.js'
import {ownValue} from '../name-table.js'
import type {Plan} from '../plan/plan.js'
import {startsOnlyAfterSuccess} from './admission.js'
import type {PreparedRun} from './start-run.js'

/**
 * The jobs `orca run --needs-from-cache` restores from the cache and never runs: every planned job
 * but the targets (a matrix job's name stands for its expansions). A `cache: false` job is never
 * stored, so it cannot be restored: it runs as it would in any run.
 */
export function restoredNeeds(pipeline: Pipeline, plan: Plan): Set<string> {
  const targets = new Set(plan.targets.flatMap((t) => ownValue(pipeline.matrices, t) ?? [t]))
  return new Set(plan.order.filter((name) => !targets.has(name) && plan.jobs.get(name)!.cache))
}

/**
 * Keys the run's jobs and throws when a job to restore is missing (see checkNeedsInCache). An image
 * the engine does not have yet is pulled: a job's key covers its image ID, so a fresh CI runner
 * cannot know its needs' keys without their images.
 */
export async function ensureNeedsInCache(prepared: PreparedRun, executor: () => Promise<Executor>, signal: AbortSignal): Promise<void> {
  if (prepared.restored === undefined || prepared.restored.size === 0) return
  let session: Promise<Executor> | undefined
  const pulling: ImageIdResolver = async (ref) => {
    const id = await prepared.imageId(ref).catch(() => undefined)
    if (id !== undefined) return id
    const engine = await (session ??= executor())
    return (await engine.prepare([ref], {signal})).get(ref)
  }
  // Loaded only here: keying ahead of the run is this flag's cost alone.
  const {dryRunKeys} = await import('./dry-run.js')
  checkNeedsInCache(prepared.plan, prepared.restored, await dryRunKeys({...prepared, imageId: pulling}))
}

/**
 * Before anything is written: every job to restore whose entry is not in the cache, when a target
 * needs it to have succeeded. A target that runs after failures (`when: always`, `on_failure`, an
 * `if:` reading its needs) sees a missing need as failed instead, since under fan-out the CI ran it
 * in its own job and it did not succeed there. A key that is not known yet (behind a `cache: false`
 * job, which runs first) is decided when the run reaches it.
 */
export function checkNeedsInCache(plan: Plan, restored: ReadonlySet<string>, keys: PlannedKey[]): void {
  const missing = keys.filter((row) => restored.has(row.job) && row.cache !== 'hit' && row.cache !== 'unknown')
  const blocking = missing.filter((row) => dependentTargets(plan, row.job, restored).some((target) => startsOnlyAfterSuccess(plan.jobs.get(target)!)))
  if (blocking.length === 0) return
  const width = Math.max(...blocking.map((row) => row.job.length))
  const lines = blocking.map((row) => `  ${row.job.padEnd(width)}  key ${shortKey(row.keyed!.key)}  (${row.why})`)
  throw new OrcaError(
    'usage',
    `--needs-from-cache: ${blocking.length === 1 ? 'a job' : `${blocking.length} jobs`} the targets need ${blocking.length === 1 ? 'is' : 'are'} not in the cache:\n${lines.join('\n')}`,
    {hint: `run ${blocking.length === 1 ? 'it' : 'them'} first with the same cache (orca run ${blocking.map((row) => row.job).join(' ')}), or leave out --needs-from-cache to run ${blocking.length === 1 ? 'it' : 'them'} here`},
  )
}

/** The targets (jobs of the plan not restored) that depend on `name`, directly or not. */
function dependentTargets(plan: Plan, name: string, restored: ReadonlySet<string>): string[] {
  const found = new Set<string>()
  const stack = [...(plan.dependents.get(name) ?? [])]
  while (stack.length > 0) {
    const next = stack.pop()!
    if (found.has(next)) continue
    found.add(next)
    stack.push(...(plan.dependents.get(next) ?? []))
  }
  return [...found].filter((job) => !restored.has(job))
}

/** The message a restored job that is not in the cache settles with. */
export function notInCacheMessage(key: string | undefined): string {
  return `not in the cache${key === undefined ? '' : ` (key ${shortKey(key)})`}: --needs-from-cache restores it and never runs it`
}
