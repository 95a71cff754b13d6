import type {Prestarted} from '../executor/types.js'
import type {Plan} from '../plan/plan.js'
import type {Job} from '../pipeline/types.js'
import type {JobStatus} from '../records/events.js'

/** At most this many containers wait ahead of their jobs at once... */
export const MAX_AHEAD = 3
/** ...and containers (running jobs' and waiting ones) exceed the concurrency limit by at most this. */
export const AHEAD_MARGIN = 2
/**
 * Early containers are made at most two at a time, the most urgent (first in plan order) first: made
 * all at once, they and the running job's own start share the engine and each is ready later; one at
 * a time, a chain's later jobs wait for theirs (docs/performance.md).
 */
export const MAX_STARTING = 2

/** What the choice of jobs to start ahead reads. */
export interface AheadState {
  stateOf: (name: string) => JobStatus | undefined
  /** Jobs whose container exists now: their steps run (or are about to). */
  executing: ReadonlySet<string>
  /** Jobs whose container was started ahead and not yet taken. */
  ahead: ReadonlySet<string>
  /** Jobs the executor would not start ahead (a job with services): made when they run. */
  declined?: ReadonlySet<string>
  concurrency: number
}

/**
 * The pending jobs (in plan order) whose containers start now, ahead of need: a job with steps and no
 * condition of its own (`when: on_success`, no `if:`), each of whose needs was cached, ran in this run
 * and succeeded, runs its steps now, or is itself started ahead, at least one of them not cached. So
 * a job waiting for its needs, or ready and waiting for a free slot, gets its container meanwhile. A
 * need that ran missed the cache, so its dependents' keys (which cover it) almost surely miss too; a
 * job whose needs were all cached may be a hit, and is left to start when it runs.
 * Bounded by MAX_AHEAD waiting and by the concurrency limit plus AHEAD_MARGIN in all.
 */
export function jobsToStartAhead(plan: Plan, state: AheadState): string[] {
  const chosen: string[] = []
  const ahead = new Set(state.ahead)
  for (const name of plan.order) {
    if (ahead.size >= MAX_AHEAD || state.executing.size + ahead.size >= state.concurrency + AHEAD_MARGIN) break
    if (ahead.has(name) || state.declined?.has(name) || state.stateOf(name) !== 'pending') continue
    const job = plan.jobs.get(name)!
    if (!startsAhead(job, state, ahead)) continue
    ahead.add(name)
    chosen.push(name)
  }
  return chosen
}

function startsAhead(job: Job, state: AheadState, ahead: ReadonlySet<string>): boolean {
  if (job.steps.length === 0 || (job.when ?? 'on_success') !== 'on_success' || job.condition !== undefined) return false
  let afterOneThatRan = false
  for (const need of job.needs) {
    const status = state.stateOf(need)
    if (status === 'cached') continue
    if (status !== 'succeeded' && !(state.executing.has(need) && status === 'running') && !ahead.has(need)) return false
    afterOneThatRan = true
  }
  return afterOneThatRan
}

/**
 * Containers started ahead of need (docs/performance.md): while a job's needs run, its container is
 * made and started and its own inputs copied in, so that once they succeed only their artifacts are
 * copied before its steps. A job that does not take its container (skipped, cancelled, a cache hit,
 * put back to pending) has it removed; `close` removes what is left and waits for every removal.
 */
export class PrestartPool {
  readonly #ahead = new Map<string, Prestarted>()
  readonly #executing = new Set<string>()
  /** Jobs the executor declined to start ahead (a job with services). */
  readonly #declined = new Set<string>()
  readonly #discards = new Set<Promise<void>>()
  /** Early containers still being made. */
  #starting = 0
  #closed = false

  constructor(
    private readonly plan: Plan,
    private readonly concurrency: number,
    private readonly stateOf: (name: string) => JobStatus | undefined,
    /** The executor's `prestart` for a job, once the executor exists (a run that runs nothing never creates it). */
    private readonly prestart: (job: Job) => Prestarted | undefined,
    stop: AbortSignal,
  ) {
    stop.addEventListener('abort', () => this.discardAll(), {once: true})
    if (stop.aborted) this.#closed = true
  }

  /** A job's steps are about to run (its executor exists): its dependents may start ahead now. */
  executing(name: string): void {
    this.#executing.add(name)
    this.fill()
  }

  /** The container started ahead for a job, handed to it when it runs (undefined: it makes its own). */
  take(name: string): Prestarted | undefined {
    const taken = this.#ahead.get(name)
    this.#ahead.delete(name)
    return taken
  }

  /** A job settled (or went back to pending): a container it did not take goes, and others may start ahead. */
  settled(name: string): void {
    this.#executing.delete(name)
    this.discard(name)
    this.fill()
  }

  /** A job was skipped: its container goes. */
  discard(name: string): void {
    const early = this.#ahead.get(name)
    if (early === undefined) return
    this.#ahead.delete(name)
    const removal = early.discard().finally(() => this.#discards.delete(removal))
    this.#discards.add(removal)
  }

  /** Removes every container not taken and waits until each removal (and every start in flight) is done. */
  async close(): Promise<void> {
    this.discardAll()
    while (this.#discards.size > 0) await Promise.all(this.#discards)
  }

  private discardAll(): void {
    this.#closed = true
    for (const name of [...this.#ahead.keys()]) this.discard(name)
  }

  private fill(): void {
    if (this.#closed || this.#executing.size === 0) return
    const state = {stateOf: this.stateOf, executing: this.#executing, ahead: new Set(this.#ahead.keys()), declined: this.#declined, concurrency: this.concurrency}
    for (const name of jobsToStartAhead(this.plan, state)) {
      if (this.#starting >= MAX_STARTING) return
      const early = this.prestart(this.plan.jobs.get(name)!)
      if (early === undefined) {
        this.#declined.add(name)
        continue
      }
      this.#ahead.set(name, early)
      this.#starting++
      void early.ready.finally(() => {
        this.#starting--
        this.fill()
      })
    }
  }
}
