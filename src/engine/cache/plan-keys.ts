import type {HostKeyOutput, HostKeyResolver} from '../executor/host/key-commands.js'
import {nameTable} from '../name-table.js'
import {runsOnHost} from '../pipeline/types.js'
import type {Plan} from '../plan/plan.js'
import {diffManifests, summariseChanges} from './diff.js'
import type {ImageIdResolver} from './image-id.js'
import {uncachedReason, usesCache} from './key.js'
import {readLast} from './last.js'
import type {KeyedJob, RunCache} from './run-cache.js'

/** A job's key as known before running anything. */
export interface PlannedKey {
  job: string
  /** undefined when it cannot be known yet (a need with `cache: false` must run first). */
  keyed?: KeyedJob
  /** `hit`, `miss`, `disabled`, or `unknown` when the key is not known. */
  cache: 'hit' | 'miss' | 'disabled' | 'unknown'
  /** Why, in a few words: `cached by run …`, `2 inputs changed (…)`, `never cached`. */
  why: string
  /** With `hit`: the entry is in the remote cache only (a run downloads it). */
  source?: 'local' | 'remote'
}

/**
 * Keys every job of a plan without running any step (for `--dry-run` and `orca explain`). Docker is
 * only asked for image IDs; a missing image or an unreachable engine makes the job a miss, with why.
 * A host job's key commands run (they are what its key is made of); one that fails leaves its key unknown.
 */
export async function planKeys(plan: Plan, cache: RunCache, imageId: ImageIdResolver, hostKey: HostKeyResolver = unresolvedHostKey): Promise<PlannedKey[]> {
  const rows: PlannedKey[] = []
  for (const name of plan.order) {
    const job = plan.jobs.get(name)!
    let id: string | null = null
    let imageProblem: string | undefined
    let hostOutputs: HostKeyOutput[] | undefined
    if (runsOnHost(job)) {
      try {
        hostOutputs = await hostKey(job)
      } catch (error) {
        rows.push({job: name, cache: 'unknown', why: (error as Error).message})
        continue
      }
    } else if (job.steps.length > 0 && !job.build) {
      // A built image is known by its context (hashed with the key), not by an ID.
      try {
        id = (await imageId(job.image)) ?? null
        if (id === null) imageProblem = `image ${job.image} is not present locally (it would be pulled)`
      } catch (error) {
        imageProblem = `image ID unknown: ${(error as Error).message.split('\n')[0]}`
      }
    }
    const serviceIds = nameTable<string | null>()
    for (const service of job.steps.length > 0 ? Object.values(job.services) : []) {
      try {
        serviceIds[service.name] = (await imageId(service.image)) ?? null
        if (serviceIds[service.name] === null) imageProblem ??= `image ${service.image} of service ${service.name} is not present locally (it would be pulled)`
      } catch (error) {
        serviceIds[service.name] = null
        imageProblem ??= `image ID of service ${service.name} unknown: ${(error as Error).message.split('\n')[0]}`
      }
    }
    const keyed = cache.keyJob(job, id, serviceIds, hostOutputs)
    if (!keyed) {
      const need = job.needs.find((n) => cache.keyFor(n) === undefined)!
      const needJob = plan.jobs.get(need)
      rows.push({job: name, cache: 'unknown', why: needJob && !usesCache(needJob) ? `needs ${need} (${uncachedReason(needJob)}), which must run first` : `needs ${need}, whose key is unknown`})
      continue
    }
    // A local miss the remote holds is a hit a run downloads; nothing is downloaded here.
    const remote = keyed.use === 'miss' && keyed.lookedUp && cache.remote ? await cache.remote.has(keyed.key) : false
    if (remote === true) {
      rows.push({job: name, keyed, cache: 'hit', source: 'remote', why: `in the remote cache (${cache.remote!.description})`})
      continue
    }
    const why = reason(keyed, cache, imageProblem)
    rows.push({job: name, keyed, cache: keyed.use, ...(keyed.use === 'hit' ? {source: 'local' as const} : {}), why: remote === 'unavailable' ? `${why}; the remote cache could not be asked` : why})
  }
  return rows
}

/** For callers that plan no host job: a host job's key commands are never guessed. */
async function unresolvedHostKey(job: {name: string}): Promise<never> {
  throw new Error(`the key commands of host job ${job.name} were not run`)
}

function reason(keyed: KeyedJob, cache: RunCache, imageProblem: string | undefined): string {
  if (keyed.use === 'hit') return `cached by run ${keyed.entry!.runId}`
  if (keyed.use === 'disabled') return usesCache(keyed.job) ? '--no-cache' : uncachedReason(keyed.job)
  if (imageProblem) return imageProblem
  if (keyed.corrupt) return `the entry was damaged (${keyed.corrupt}) and was removed`
  if (keyed.untrusted) return `the entry was not trusted (${keyed.untrusted}) and was removed`
  const last = readLast(cache.store, cache.projectDir, keyed.job.name)
  if (!last) return 'never cached'
  return summariseChanges(diffManifests(last.manifest, keyed.manifest))
}
