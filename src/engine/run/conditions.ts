import {evaluateExpression, decidesOnNeeds, type NeedResult} from '../pipeline/expression.js'
import {nameTable} from '../name-table.js'
import type {Job} from '../pipeline/types.js'
import type {JobStatus} from './events.js'

/** What the scheduler does with a pending job now. */
export type StartDecision =
  | {action: 'wait'}
  | {action: 'run'}
  /** `byCondition`: left out by a condition (or behind a job that was), which does not fail the run. */
  | {action: 'skip'; reason: string; byCondition: boolean}

export interface ConditionState {
  jobs: ReadonlyMap<string, Job>
  states: ReadonlyMap<string, JobStatus>
  /** Jobs skipped by a condition (see StartDecision). */
  skippedByCondition: ReadonlySet<string>
  /** `-e` values, over each job's env (secrets are not visible to conditions). */
  envOverrides: Readonly<Record<string, string>>
}

const SUCCESS: ReadonlySet<JobStatus> = new Set(['succeeded', 'cached'])
const FAILURE: ReadonlySet<JobStatus> = new Set(['failed', 'timed_out'])
const UNSETTLED: ReadonlySet<JobStatus> = new Set(['pending', 'running'])

/**
 * Whether a pending job runs, waits or is skipped, from the states of what it needs (docs/running.md,
 * "Conditions"). A job with neither `when` nor `if` is skipped as soon as one need did not succeed,
 * as before conditions existed; one that may run after a failure waits until every job it depends
 * on is settled, so it sees them all.
 */
export function decideStart(job: Job, state: ConditionState): StartDecision {
  const statusOf = (name: string): JobStatus => state.states.get(name) ?? 'pending'
  const when = job.when ?? 'on_success'
  const decidesItself = job.condition !== undefined && decidesOnNeeds(job.condition.expression)
  const blockers = job.needs.filter((need) => !SUCCESS.has(statusOf(need)) && !UNSETTLED.has(statusOf(need)))
  if (when === 'on_success' && !decidesItself) {
    if (blockers.length > 0) {
      const first = blockers[0]!
      return {action: 'skip', reason: `needs ${first} (${statusOf(first)})`, byCondition: blockers.every((b) => state.skippedByCondition.has(b))}
    }
    if (job.needs.some((need) => UNSETTLED.has(statusOf(need)))) return {action: 'wait'}
  } else if ([...ancestorsOf(job, state.jobs)].some((name) => UNSETTLED.has(statusOf(name)))) {
    return {action: 'wait'}
  }

  const failedAncestor = [...ancestorsOf(job, state.jobs)].find((name) => FAILURE.has(statusOf(name)))
  if (!decidesItself && when === 'on_failure' && failedAncestor === undefined) {
    return {action: 'skip', reason: 'when: on_failure, and no job it depends on failed', byCondition: true}
  }
  if (job.condition === undefined) return {action: 'run'}
  const holds = evaluateExpression(job.condition.expression, {
    env: nameTable(job.env, state.envOverrides),
    matrix: job.matrix?.values ?? {},
    needs: needResults(job, state),
    success: job.needs.every((need) => SUCCESS.has(statusOf(need))),
    failure: failedAncestor !== undefined,
  })
  return holds ? {action: 'run'} : {action: 'skip', reason: `if: ${job.condition.source} is false`, byCondition: true}
}

/** `needs.NAME.result` for each need as written: a matrix job's expansions are one result (the worst of theirs). */
function needResults(job: Job, state: ConditionState): Record<string, NeedResult> {
  const grouped = new Map<string, NeedResult[]>()
  for (const need of job.needs) {
    const name = state.jobs.get(need)?.matrix?.job ?? need
    grouped.set(name, [...(grouped.get(name) ?? []), resultOf(state.states.get(need) ?? 'pending')])
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
