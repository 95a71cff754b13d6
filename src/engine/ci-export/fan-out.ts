import {OrcaError} from '../errors.js'
import {ownValue} from '../name-table.js'
import type {Job, Pipeline} from '../pipeline/types.js'
import {planRun} from '../plan/plan.js'
import {startsOnlyAfterSuccess} from '../run/admission.js'

/** When a CI job starts, by how the CI jobs it needs ended: the CI's own words for orca's `when`. */
export type CiWhen = 'on_success' | 'on_failure' | 'always'

/** One job of the generated CI pipeline: it runs `orca run JOBS --needs-from-cache` on its own runner. */
export interface CiJob {
  /** The CI job's name: the orca job's, or the group's (the job named by `--group`). */
  name: string
  /** The orca jobs it runs (its targets); everything they need outside them is restored from the cache. */
  jobs: string[]
  /** CI jobs it waits for, in pipeline order. */
  needs: string[]
  when: CiWhen
  /** Longest chain of needs below it (0: needs nothing): GitLab's stage. */
  depth: number
  /** Secrets its orca jobs and their services read from orca's environment. */
  secrets: string[]
}

export interface FanOutOptions {
  /** Jobs to export and everything they need; none = every job. A matrix job's name stands for its expansions. */
  targets?: string[]
  /** Jobs run in one CI job together with everything they need (that no other group takes). */
  groups?: string[]
}

/**
 * The pipeline's DAG as CI jobs: one per orca job (a matrix expansion is a job of its own, so each
 * runs on its own runner), or one per group, in the pipeline's order; each CI job needs the CI jobs
 * of its orca jobs' needs. Pure: the renderers turn it into a vendor's file.
 */
export function fanOut(pipeline: Pipeline, options: FanOutOptions = {}): CiJob[] {
  const plan = planRun(pipeline, options.targets ?? [])
  const owner = new Map<string, string>()
  for (const group of options.groups ?? []) {
    const members = planRun(pipeline, [group]).order
    for (const member of members) {
      const other = owner.get(member)
      if (other !== undefined && other !== group) {
        throw new OrcaError('usage', `job ${member} is in two groups, ${other} and ${group}`, {hint: 'a job runs in one CI job: name groups that do not share needs'})
      }
      owner.set(member, group)
    }
  }
  const unplanned = (options.groups ?? []).filter((g) => !plan.jobs.has(g) && ownValue(pipeline.matrices, g) === undefined)
  if (unplanned.length > 0) throw new OrcaError('usage', `--group ${unplanned[0]} is not among the jobs exported`, {hint: 'name a job the targets need, or the targets themselves'})

  const ciJobs = new Map<string, CiJob>()
  for (const name of plan.order) {
    const ciName = owner.get(name) ?? name
    let ciJob = ciJobs.get(ciName)
    if (!ciJob) ciJobs.set(ciName, (ciJob = {name: ciName, jobs: [], needs: [], when: 'on_success', depth: 0, secrets: []}))
    ciJob.jobs.push(name)
  }
  for (const ciJob of ciJobs.values()) {
    const members = ciJob.jobs.map((name) => plan.jobs.get(name)!)
    const needs = new Set(members.flatMap((job) => job.needs.map((need) => owner.get(need) ?? need)).filter((need) => need !== ciJob.name))
    ciJob.needs = [...ciJobs.keys()].filter((name) => needs.has(name))
    ciJob.depth = Math.max(-1, ...ciJob.needs.map((need) => ciJobs.get(need)!.depth)) + 1
    ciJob.when = whenOf(members)
    ciJob.secrets = [...new Set(members.flatMap((job) => [...job.secrets, ...Object.values(job.services).flatMap((service) => service.secrets)]))].sort()
  }
  return [...ciJobs.values()]
}

/**
 * The CI's condition for a job: `always` and `on_failure` as orca's `when`; a job whose `if:` reads
 * its needs (or a group with a member that runs after failures) always starts, and orca decides.
 * Conditions on env or matrix values are left to orca too: the CI job then succeeds with nothing run.
 */
function whenOf(members: Job[]): CiWhen {
  if (members.every(startsOnlyAfterSuccess)) return 'on_success'
  const [only] = members
  if (members.length === 1 && only!.condition === undefined && only!.when === 'on_failure') return 'on_failure'
  return 'always'
}
