import type {JobRecord, RunRecord} from '../src/engine/records/record.js'

/** 1.2 s, 3 m 04 s, 1 h 02 m: how long something took, to a precision a reader uses. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const s = Math.round(ms / 1000)
  if (s < 3600) return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} m`
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

export function time(iso: string | null): string {
  return iso === null ? '–' : new Date(iso).toLocaleString()
}

/** How long a run or job has taken: recorded when it ended, else so far. */
export function elapsed(item: {startedAt: string | null; durationMs: number | null}, now: number): number | null {
  if (item.durationMs !== null) return item.durationMs
  return item.startedAt === null ? null : Math.max(0, now - Date.parse(item.startedAt))
}

export function label(job: JobRecord, name: string): string {
  return job.displayName ?? name
}

export function counts(record: RunRecord): {ran: number; cached: number; failed: number; total: number} {
  const jobs = Object.values(record.jobs)
  return {
    ran: jobs.filter((j) => j.status !== 'cached' && j.status !== 'pending' && j.status !== 'skipped').length,
    cached: jobs.filter((j) => j.status === 'cached').length,
    failed: jobs.filter((j) => j.status === 'failed' || j.status === 'timed_out').length,
    total: jobs.length,
  }
}

/** The state words shown beside the colours (colour is never the only sign). */
export function stateText(status: string): string {
  return status.replace('_', ' ')
}
