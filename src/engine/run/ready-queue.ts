import type {Plan} from '../plan/plan.js'
import type {Job} from '../pipeline/types.js'
import {admitJob} from './admission.js'
import type {JobStatus, RunStatus} from '../records/events.js'

/**
 * The ready queue and its concurrency limit: every planned job's state, the jobs running now, and the
 * pass over pending jobs (in plan order) that skips those that cannot run and starts those that can.
 */
export class ReadyQueue {
  readonly states: Map<string, JobStatus>
  readonly #running = new Map<string, Promise<void>>()

  constructor(
    private readonly plan: Plan,
    private readonly concurrency: number,
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
      const admission = admitJob(job, (n) => this.states.get(n)!, stopReason())
      if (admission.action === 'skip') {
        this.states.set(name, 'skipped')
        skip(job, admission.reason)
        continue
      }
      if (admission.action === 'wait' || this.#running.size >= this.concurrency) continue
      this.states.set(name, 'running')
      // The slot is freed once the job's promise settles, not when its state does.
      this.#running.set(name, start(job).finally(() => this.#running.delete(name)))
    }
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

  /** The run's status from its jobs' states. */
  runStatus(cancelled: boolean): Exclude<RunStatus, 'running'> {
    if (cancelled) return 'cancelled'
    const all = [...this.states.values()]
    if (all.includes('failed')) return 'failed'
    if (all.includes('timed_out')) return 'timed_out'
    if (all.includes('cancelled') || all.includes('skipped')) return 'failed'
    return 'succeeded'
  }
}
