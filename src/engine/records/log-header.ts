/**
 * The line a cached job's log starts with (`logs/<job>.log`, `orca logs`): what follows was recorded
 * by an earlier run, which one, and under which key.
 */
export function replayHeader(event: {key?: string; cachedFrom?: string}): string {
  const key = event.key === undefined ? '' : ` (key ${event.key.slice(0, 12)})`
  return event.cachedFrom === undefined ? `==> replayed from the cache${key}\n` : `==> replayed from the cache: recorded by run ${event.cachedFrom}${key}\n`
}

/**
 * The line between two attempts of a job with `retry:` in its log: how the one before ended, and
 * which starts (`==> attempt 1 of 3 failed (step "test" exited 1); attempt 2 starts`).
 */
export function retryHeader(event: {attempt: number; maxAttempts: number; status: string; error?: {message: string}}): string {
  const why = event.error ? ` (${event.error.message.split('\n')[0]})` : ''
  return `==> attempt ${event.attempt} of ${event.maxAttempts} ${event.status.replace('_', ' ')}${why}; attempt ${event.attempt + 1} starts\n`
}
