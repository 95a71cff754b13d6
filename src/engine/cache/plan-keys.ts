import {nameTable} from '../name-table.js'
import type {Plan} from '../plan/plan.js'
import {diffManifests, summariseChanges} from './diff.js'
import type {ImageIdResolver} from './image-id.js'
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
}

/**
 * Keys every job of a plan without running anything (for `--dry-run` and `orca explain`). Docker is
 * only asked for image IDs; a missing image or an unreachable engine makes the job a miss, with why.
 */
export async function planKeys(plan: Plan, cache: RunCache, imageId: ImageIdResolver): Promise<PlannedKey[]> {
  const rows: PlannedKey[] = []
  for (const name of plan.order) {
    const job = plan.jobs.get(name)!
    let id: string | null = null
    let imageProblem: string | undefined
    // A built image is known by its context (hashed with the key), not by an ID.
    if (job.steps.length > 0 && !job.build) {
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
    const keyed = cache.keyJob(job, id, serviceIds)
    if (!keyed) {
      const need = job.needs.find((n) => cache.keyFor(n) === undefined)!
      const needJob = plan.jobs.get(need)
      rows.push({job: name, cache: 'unknown', why: needJob && !needJob.cache ? `needs ${need} (cache: false), which must run first` : `needs ${need}, whose key is unknown`})
      continue
    }
    rows.push({job: name, keyed, cache: keyed.use, why: reason(keyed, cache, imageProblem)})
  }
  return rows
}

function reason(keyed: KeyedJob, cache: RunCache, imageProblem: string | undefined): string {
  if (keyed.use === 'hit') return `cached by run ${keyed.entry!.runId}`
  if (keyed.use === 'disabled') return keyed.job.cache ? '--no-cache' : 'cache: false'
  if (imageProblem) return imageProblem
  if (keyed.corrupt) return `the entry was damaged (${keyed.corrupt}) and was removed`
  if (keyed.untrusted) return `the entry was not trusted (${keyed.untrusted}) and was removed`
  const last = readLast(cache.store, cache.projectDir, keyed.job.name)
  if (!last) return 'never cached'
  return summariseChanges(diffManifests(last.manifest, keyed.manifest))
}
