import {evaluateExpression, decidesOnNeeds, type NeedResult} from '../pipeline/expression.js'
import {nameTable} from '../name-table.js'
import type {Job} from '../pipeline/types.js'
import type {JobStatus} from '../records/events.js'
import type {RunOutputs} from './outputs.js'
import {SUCCESS} from './run-stop.js'
import {jobEnv} from './secrets.js'

/**
 * What happens to a pending job now: it runs, waits for its needs, or is skipped with a reason.
 * `byCondition`: a condition left it out (or it is behind a job that was), which does not fail the run.
 */
export type Admission = {action: 'run'} | {action: 'wait'} | {action: 'skip'; reason: string; byCondition?: true}

/** What a decision reads besides the job: the plan's jobs and their states. */
export interface AdmissionContext {
  jobs: ReadonlyMap<string, Job>
  stateOf: (name: string) => JobStatus
  /** Jobs skipped by a condition (see Admission). */
  skippedByCondition: ReadonlySet<string>
  /** `-e` values, over each job's env (secrets are not visible to conditions). */
  envOverrides: Readonly<Record<string, string>>
  /** What settled jobs handed on (`needs.JOB.outputs.NAME`). */
  outputs?: RunOutputs
}

const FAILURE: ReadonlySet<JobStatus> = new Set(['failed', 'timed_out'])
const UNSETTLED: ReadonlySet<JobStatus> = new Set(['pending', 'running'])

/**
 * Decides whether a pending job may start (docs/running.md, "Conditions"). A job with neither `when`
 * nor `if` is skipped as soon as one need ended without success (named in the reason), as before
 * conditions existed; one that may run after a failure waits until every job it depends on is settled,
 * so it sees them all. A stopped run skips every job with the stop's reason, unless a failed need
 * explains it better.
 */
export function admitJob(job: Job, context: AdmissionContext, stopReason: string | undefined): Admission {
  const {stateOf} = context
  const when = job.when ?? 'on_success'
  const decidesItself = job.condition !== undefined && decidesOnNeeds(job.condition.expression)
  const gatedOnSuccess = startsOnlyAfterSuccess(job)
  const blockers = job.needs.filter((need) => !SUCCESS.has(stateOf(need)) && !UNSETTLED.has(stateOf(need)))
  if (gatedOnSuccess && blockers.length > 0) {
    const first = blockers[0]!
    const byCondition = stopReason === undefined && blockers.every((b) => context.skippedByCondition.has(b))
    return {action: 'skip', reason: `needs ${first} (${stateOf(first)})`, ...(byCondition ? {byCondition} : {})}
  }
  if (stopReason !== undefined) return {action: 'skip', reason: stopReason}
  if (gatedOnSuccess) {
    if (job.needs.some((name) => UNSETTLED.has(stateOf(name)))) return {action: 'wait'}
    if (job.condition === undefined) return {action: 'run'}
  }
  // Only a job that may run after a failure looks past its needs (the walk costs the graph's size).
  const ancestors = gatedOnSuccess ? [] : [...ancestorsOf(job, context.jobs)]
  if (ancestors.some((name) => UNSETTLED.has(stateOf(name)))) return {action: 'wait'}

  const failedAncestor = ancestors.find((name) => FAILURE.has(stateOf(name)))
  if (!decidesItself && when === 'on_failure' && failedAncestor === undefined) {
    return {action: 'skip', reason: 'when: on_failure, and no job it depends on failed', byCondition: true}
  }
  if (job.condition === undefined) return {action: 'run'}
  const holds = evaluateExpression(job.condition.expression, {
    // What the steps see, secrets aside: env files and passed variables too.
    env: jobEnv(job, context.envOverrides, {}),
    matrix: job.matrix?.values ?? {},
    needs: needResults(job, context),
    outputs: context.outputs?.of(job.needs) ?? {},
    success: job.needs.every((need) => SUCCESS.has(stateOf(need))),
    failure: failedAncestor !== undefined,
  })
  return holds ? {action: 'run'} : {action: 'skip', reason: `if: ${job.condition.source} is false`, byCondition: true}
}

/** True when the job starts only after every need succeeded (no `when: always|on_failure`, no `if:` reading its needs). */
export function startsOnlyAfterSuccess(job: Job): boolean {
  return (job.when ?? 'on_success') === 'on_success' && !(job.condition !== undefined && decidesOnNeeds(job.condition.expression))
}

/** `needs.NAME.result` for each need: an expansion's own, and its matrix job's (the worst of the expansions it needs). */
function needResults(job: Job, context: AdmissionContext): Record<string, NeedResult> {
  const grouped = new Map<string, NeedResult[]>()
  for (const need of job.needs) {
    const result = resultOf(context.stateOf(need))
    const matrix = context.jobs.get(need)?.matrix?.job
    for (const name of matrix === undefined ? [need] : [need, matrix]) grouped.set(name, [...(grouped.get(name) ?? []), result])
  }
  const results = nameTable<NeedResult>()
  for (const [name, list] of grouped) {
    results[name] = list.includes('failure') ? 'failure' : list.includes('cancelled') ? 'cancelled' : list.includes('success') ? 'success' : 'skipped'
  }
  return results
}

/** GitHub Actions' word for a settled job's state. */
export function resultOf(status: JobStatus): NeedResult {
  if (SUCCESS.has(status)) return 'success'
  if (FAILURE.has(status)) return 'failure'
  return status === 'cancelled' ? 'cancelled' : 'skipped'
}

/** Every job `job` depends on, directly or not. */
function ancestorsOf(job: Job, jobs: ReadonlyMap<string, Job>): Set<string> {
  const found = new Set<string>()
  const stack = [...job.needs]
  while (stack.length > 0) {
    const name = stack.pop()!
    if (found.has(name)) continue
    found.add(name)
    stack.push(...(jobs.get(name)?.needs ?? []))
  }
  return found
}
