import type {CleanupPolicy} from '../../pipeline/types.js'
import type {RunOutcomeStatus} from '../types.js'

/** Whether a job's container is kept, by policy and how the job ended (the table in docs/running.md). */
export function keepsContainer(policy: CleanupPolicy, status: RunOutcomeStatus): boolean {
  const column = status === 'succeeded' ? 0 : status === 'failed' ? 1 : 2
  return KEEP[policy][column] ?? false
}

// Columns: succeeded, failed, timed out / cancelled.
const KEEP: Record<CleanupPolicy, readonly [boolean, boolean, boolean]> = {
  always_remove: [false, false, false],
  remove_on_completion: [false, true, true],
  keep_on_completion: [true, false, false],
  remove_on_timeout: [true, true, false],
  never_remove: [true, true, true],
}
