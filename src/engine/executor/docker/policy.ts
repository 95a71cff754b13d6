import type {CleanupPolicy, Job} from '../../pipeline/types.js'
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

/**
 * Whether the engine removes the job's container itself once its process ends (`AutoRemove`, set at
 * create), so that ending the job is one signal rather than an awaited removal (docs/performance.md).
 * Only where nothing is read from the container after it may have stopped and nothing keeps it: policy
 * `always_remove`, no reports, outputs or `artifacts.when` other than on_success (each of those is read
 * after a timeout stopped it), no services (their network goes once the container is off it), no named
 * volumes (`orca clean --volumes` right after the run would find them still in use).
 */
export function engineRemoves(job: Pick<Job, 'reports' | 'outputs' | 'artifactsWhen' | 'services' | 'volumes'>, policy: CleanupPolicy, network: string | undefined): boolean {
  if (policy !== 'always_remove' || network !== undefined || Object.keys(job.services).length > 0 || Object.keys(job.volumes).length > 0) return false
  return job.reports === undefined && job.outputs === undefined && (job.artifactsWhen ?? 'on_success') === 'on_success'
}
