import type {JobStatus} from '../records/events.js'

/** A job that settled in one of these let the run go on; any other end triggers fail-fast. */
export const SUCCESS: ReadonlySet<JobStatus> = new Set(['succeeded', 'cached'])

/**
 * Cancellation and fail-fast: one signal that every running job listens to, aborted by the user's
 * cancel, by a failure outside the run, by an engine failure, or by the first failed job under
 * fail-fast; and the reason pending jobs are skipped once it is.
 */
export class RunStop {
  readonly #controller = new AbortController()
  readonly #onAbort = (): void => this.#controller.abort()

  constructor(
    /** First Ctrl-C (or a server's cancel). */
    private readonly cancel: AbortSignal,
    /** Aborted, its reason an Error, when the run failed outside its own code (serve's process guard). */
    private readonly failure: AbortSignal | undefined,
    private readonly failFast: boolean,
  ) {
    cancel.addEventListener('abort', this.#onAbort, {once: true})
    failure?.addEventListener('abort', this.#onAbort, {once: true})
  }

  /** What running jobs and waiting steps listen to. */
  get signal(): AbortSignal {
    return this.#controller.signal
  }

  /** Stops the run: an engine failure or a bug. */
  abort(): void {
    this.#controller.abort()
  }

  /** Fail-fast: the first job that settles without success stops the run. */
  jobSettled(status: JobStatus): void {
    if (this.failFast && !SUCCESS.has(status)) this.abort()
  }

  /** Why a pending job is skipped now; undefined while the run goes on. */
  get skipReason(): string | undefined {
    if (!this.signal.aborted) return undefined
    return this.failure?.aborted ? 'the run failed' : this.cancel.aborted ? 'run cancelled' : 'fail-fast'
  }

  /** The user cancelled the run. */
  get cancelled(): boolean {
    return this.cancel.aborted
  }

  /** The message of a failure raised outside the run, if one was. */
  get outsideFailure(): string | undefined {
    if (!this.failure?.aborted) return undefined
    return String((this.failure.reason as Error | undefined)?.message ?? this.failure.reason)
  }

  /** Stops listening to the caller's signals once the run has ended. */
  detach(): void {
    this.cancel.removeEventListener('abort', this.#onAbort)
    this.failure?.removeEventListener('abort', this.#onAbort)
  }
}
