import type {Plan} from '../plan/plan.js'
import type {Job} from '../pipeline/types.js'
import {admitJob} from './admission.js'
import type {JobStatus, RunStatus} from '../records/events.js'
import {RunOutputs} from './outputs.js'

/**
 * The ready queue and its concurrency limit: every planned job's state, the jobs running now, and the
 * pass over pending jobs (in plan order) that skips those that cannot run and starts those that can.
 */
export class ReadyQueue {
  readonly states: Map<string, JobStatus>
  readonly #running = new Map<string, Promise<void>>()
  /** Left out by a condition (or behind such a job): a job skipped on purpose does not fail the run. */
  readonly #skippedByCondition = new Set<string>()

  constructor(
    private readonly plan: Plan,
    private readonly concurrency: number,
    /** `-e` values, which conditions read over each job's env. */
    private readonly envOverrides: Readonly<Record<string, string>> = {},
    /** What settled jobs handed on, which conditions read. */
    private readonly outputs: RunOutputs = new RunOutputs(),
  ) {
    this.states = new Map(plan.order.map((n) => [n, 'pending']))
  }

  /**
   * One pass over the pending jobs in plan order. A job may settle synchronously inside `start` (a
   * group job), so each decision sees the states the previous ones left, and the stop reason is read
   * per job.
   */
  fill(stopReason: () => string | undefined, start: (job: Job) => Promise<void>, skip: (job: Job, reason: string) => void): void {
    for (const name of this.plan.order) {
      if (this.states.get(name) !== 'pending') continue
      const job = this.plan.jobs.get(name)!
      const context = {
        jobs: this.plan.jobs,
        stateOf: (n: string) => this.states.get(n)!,
        skippedByCondition: this.#skippedByCondition,
        envOverrides: this.envOverrides,
        outputs: this.outputs,
      }
      const admission = admitJob(job, context, stopReason())
      if (admission.action === 'skip') {
        this.states.set(name, 'skipped')
        if (admission.byCondition) this.#skippedByCondition.add(name)
        skip(job, admission.reason)
        continue
      }
      if (admission.action === 'wait' || this.#running.size >= this.concurrency || this.#atMatrixLimit(job)) continue
      this.states.set(name, 'running')
      // The slot is freed once the job's promise settles, not when its state does.
      this.#running.set(name, start(job).finally(() => this.#running.delete(name)))
    }
  }

  /** `max-parallel`: as many expansions of the job's matrix run as it allows. */
  #atMatrixLimit(job: Job): boolean {
    const limit = job.matrix?.maxParallel
    if (limit === undefined) return false
    let count = 0
    for (const name of this.#running.keys()) if (this.plan.jobs.get(name)?.matrix?.job === job.matrix!.job) count++
    return count >= limit
  }

  /** Records how a job ended. */
  settle(name: string, status: JobStatus): void {
    this.states.set(name, status)
  }

  /** True while a job is still running. */
  get busy(): boolean {
    return this.#running.size > 0
  }

  get hasPending(): boolean {
    return [...this.states.values()].includes('pending')
  }

  /** Resolves when the first running job settles. */
  async next(): Promise<void> {
    await Promise.race(this.#running.values())
  }

  /** Resolves when every running job has settled, however it ends. */
  async drain(): Promise<void> {
    await Promise.allSettled(this.#running.values())
  }

  /** The run's status from its jobs' states, leaving out jobs only restored (their own runs judged them). */
  runStatus(cancelled: boolean, restored?: ReadonlySet<string>): Exclude<RunStatus, 'running'> {
    if (cancelled) return 'cancelled'
    const all = [...this.states].filter(([name]) => !this.#skippedByCondition.has(name) && !restored?.has(name)).map(([, status]) => status)
    if (all.includes('failed')) return 'failed'
    if (all.includes('timed_out')) return 'timed_out'
    if (all.includes('cancelled') || all.includes('skipped')) return 'failed'
    return 'succeeded'
  }
}
