import type {JobView, ViewSnapshot} from './model.js'

/** Output lines shown under a running job when the screen has room. */
export const LIVE_LINES = 3

export interface Layout {
  /** Jobs given a row, in plan order, with how many output lines each shows. */
  rows: Array<{job: JobView; lines: number}>
  /** Jobs left out for lack of room, counted by state. */
  hidden: {done: number; pending: number; running: number}
}

/**
 * Fits a frame into the terminal's height: Ink redraws by erasing the previous frame, and a frame
 * taller than the screen cannot be erased (it would scroll), so some jobs must fold into a count.
 * Running and failed jobs get rows first, then pending ones, then those that went well.
 */
export function layoutJobs(snapshot: ViewSnapshot, height: number): Layout {
  const jobs = snapshot.jobs
  // Header, progress bar, hint, one line per pull, and a spare line for the cursor.
  const room = Math.max(3, height - 4 - snapshot.pulls.length)
  const rank = (job: JobView): number => {
    if (job.status === 'running') return 0
    if (job.status === 'failed' || job.status === 'timed_out') return 1
    if (job.status === 'pending') return 2
    return 3
  }
  let shown: JobView[]
  if (jobs.length <= room) {
    shown = jobs
  } else {
    const keep = new Set([...jobs].sort((a, b) => rank(a) - rank(b)).slice(0, room - 1))
    shown = jobs.filter((j) => keep.has(j))
  }
  const hiddenJobs = jobs.filter((j) => !shown.includes(j))
  const running = shown.filter((j) => j.status === 'running' && j.lines.length > 0)
  const spare = room - shown.length - (hiddenJobs.length > 0 ? 1 : 0)
  const each = running.length === 0 ? 0 : Math.min(LIVE_LINES, Math.floor(spare / running.length))
  return {
    rows: shown.map((job) => ({job, lines: job.status === 'running' ? Math.min(each, job.lines.length) : 0})),
    hidden: {
      done: hiddenJobs.filter((j) => rank(j) === 3 || rank(j) === 1).length,
      pending: hiddenJobs.filter((j) => j.status === 'pending').length,
      running: hiddenJobs.filter((j) => j.status === 'running').length,
    },
  }
}
