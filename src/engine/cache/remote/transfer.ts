import {DamagedBlobError} from '../../artifacts/blobs.js'
import {InvalidManifestError} from '../../artifacts/manifest.js'
import {RemoteError} from './backend.js'

/** How long one request may stall and how often a failed one is tried again (cache.remote timeout, retries). */
export interface TransferPolicy {
  /** An attempt that receives or sends nothing for this long is aborted. */
  timeoutMs: number
  /** Attempts after the first, for failures worth retrying. */
  retries: number
  /** The first pause before a retry; doubled each time. */
  backoffMs: number
}

export const DEFAULT_POLICY: TransferPolicy = {timeoutMs: 10_000, retries: 2, backoffMs: 200}

/** Aborts when `touch` has not been called for `ms` (a stalled transfer, not a long one). */
export interface IdleDeadline {
  signal: AbortSignal
  touch(): void
}

/**
 * Runs one transfer, again after a pause (doubling, with jitter) when it fails in a way worth
 * retrying, at most `retries` more times. Each attempt gets its own idle deadline.
 */
export async function withRetries<T>(policy: TransferPolicy, attempt: (deadline: IdleDeadline) => Promise<T>): Promise<T> {
  for (let tried = 0; ; tried++) {
    const controller = new AbortController()
    let timer: NodeJS.Timeout | undefined
    const touch = (): void => {
      clearTimeout(timer)
      timer = setTimeout(() => controller.abort(new RemoteError(`no progress for ${policy.timeoutMs} ms`, true)), policy.timeoutMs)
    }
    touch()
    try {
      return await attempt({signal: controller.signal, touch})
    } catch (error) {
      const failure = controller.signal.aborted && controller.signal.reason instanceof RemoteError ? controller.signal.reason : error
      // Content that does not match its digest comes back the same: only transport failures are tried again.
      const retryable = failure instanceof RemoteError ? failure.retryable : !(failure instanceof DamagedBlobError || failure instanceof InvalidManifestError || failure instanceof SyntaxError)
      if (!retryable || tried >= policy.retries) throw failure
      const pause = policy.backoffMs * 2 ** tried
      await new Promise((resolve) => setTimeout(resolve, pause / 2 + Math.random() * (pause / 2)))
    } finally {
      clearTimeout(timer)
    }
  }
}

/** At most `limit` tasks at once; the rest wait their turn in order. */
export class Limiter {
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve))
    this.active++
    try {
      return await task()
    } finally {
      this.active--
      this.waiting.shift()?.()
    }
  }
}
