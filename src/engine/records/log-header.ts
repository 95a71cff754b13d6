import type {OrcaEvent} from './events.js'

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

/** What an event adds to its job's log (`logs/<job>.log`), and whether it is orca's own line (a header, started on a line of its own); undefined when nothing. */
export function logTextOf(event: OrcaEvent): {job: string; text: string; header: boolean} | undefined {
  switch (event.type) {
    case 'step.started':
      return {job: event.job, text: `==> ${event.name}\n`, header: true}
    // A cache hit's log is the output recorded when the job ran: say so before replaying it.
    case 'job.started':
      return event.cache === 'hit' ? {job: event.job, text: replayHeader(event), header: true} : undefined
    case 'step.output':
      return {job: event.job, text: event.text, header: false}
    // A built image's output is part of the log of each job that waited for it.
    case 'image.build':
      return event.job === undefined ? undefined : {job: event.job, text: event.text, header: false}
    case 'job.retrying':
      return {job: event.job, text: retryHeader(event), header: true}
    default:
      return undefined
  }
}
