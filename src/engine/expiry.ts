/**
 * The one time-to-live model of containers orca leaves running or kept for a while: kept job
 * containers (`keep_for`) and sandboxes. An expiry is an ISO time, recorded on the container as the
 * `orca.keep-until` label when it is made; whatever reaps compares it with `now` through `isExpired`.
 */

/** The expiry `ttlMs` after `now` (ms since the epoch), as an ISO time. */
export function expiryAfter(now: number, ttlMs: number): string {
  return new Date(now + ttlMs).toISOString()
}

/** Whether `until` has passed by `now`; no expiry (undefined) never expires, an unreadable one has. */
export function isExpired(until: string | undefined, now: number): boolean {
  if (until === undefined) return false
  const at = Date.parse(until)
  return Number.isNaN(at) || at <= now
}

/** Milliseconds left before `until` (0 once passed). */
export function remainingMs(until: string, now: number): number {
  const at = Date.parse(until)
  return Number.isNaN(at) ? 0 : Math.max(0, at - now)
}
