import type {Job} from '../pipeline/types.js'
import type {JobStatus} from '../records/events.js'
import {SUCCESS} from './run-stop.js'

/** What happens to a pending job now: it runs, waits for its needs, or is skipped with a reason. */
export type Admission = {action: 'run'} | {action: 'wait'} | {action: 'skip'; reason: string}

/**
 * Decides whether a pending job may start: a need that ended without success skips it (named in the
 * reason), a stopped run skips it with the stop's reason, otherwise it runs once every need succeeded.
 */
export function admitJob(job: Job, stateOf: (name: string) => JobStatus, stopReason: string | undefined): Admission {
  const blocker = job.needs.find((n) => isSettled(stateOf(n)) && !SUCCESS.has(stateOf(n)))
  if (blocker !== undefined) return {action: 'skip', reason: `needs ${blocker} (${stateOf(blocker)})`}
  if (stopReason !== undefined) return {action: 'skip', reason: stopReason}
  return job.needs.every((n) => SUCCESS.has(stateOf(n))) ? {action: 'run'} : {action: 'wait'}
}

function isSettled(status: JobStatus): boolean {
  return status !== 'pending' && status !== 'running'
}
