/**
 * The line a cached job's log starts with (`logs/<job>.log`, `orca logs`): what follows was recorded
 * by an earlier run, which one, and under which key.
 */
export function replayHeader(event: {key?: string; cachedFrom?: string}): string {
  const key = event.key === undefined ? '' : ` (key ${event.key.slice(0, 12)})`
  return event.cachedFrom === undefined ? `==> replayed from the cache${key}\n` : `==> replayed from the cache: recorded by run ${event.cachedFrom}${key}\n`
}
