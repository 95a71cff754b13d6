import type {JobStatus} from '../../engine/records/events.js'
import type {RunRecord} from '../../engine/records/record.js'

/** One job on the shared time axis; `from`/`to` are columns (`to` exclusive), absent for a job that never started. */
export interface TimelineBar {
  job: string
  status: JobStatus
  startMs?: number
  endMs?: number
  from?: number
  to?: number
  critical: boolean
}

export interface TimelineLayout {
  /** Length of the axis: from the run's start to the last job's end (or `now` while jobs run). */
  totalMs: number
  width: number
  bars: TimelineBar[]
}

interface Span {
  job: string
  start: number
  end: number
}

/** Places every job of a run on one axis `width` columns wide, offsets relative to the run's start. */
export function layoutTimeline(record: RunRecord, width: number, now: number = Date.now()): TimelineLayout {
  const origin = Date.parse(record.startedAt)
  const spans = jobSpans(record, now)
  const runEnd = record.finishedAt === null ? now : Date.parse(record.finishedAt)
  const totalMs = Math.max(1, ...spans.map((s) => s.end - origin), record.status === 'running' ? runEnd - origin : 0)
  const critical = new Set(criticalPath(spans))
  const column = (ms: number): number => Math.min(width, Math.max(0, (ms / totalMs) * width))
  const bars = Object.entries(record.jobs).map(([job, rec]): TimelineBar => {
    const span = spans.find((s) => s.job === job)
    if (span === undefined) return {job, status: rec.status, critical: false}
    const startMs = span.start - origin
    const endMs = span.end - origin
    // Every job that started is at least one column wide, so a cached job is still seen.
    const from = Math.min(width - 1, Math.floor(column(startMs)))
    const to = Math.max(from + 1, Math.ceil(column(endMs)))
    return {job, status: rec.status, startMs, endMs, from, to, critical: critical.has(job)}
  })
  return {totalMs, width, bars}
}

/**
 * The jobs that decided the run's length, first to last: back from the job that ended last, each
 * step goes to the job that ended last before it started (what it waited for: a need or a free slot).
 */
export function criticalPath(spans: Span[]): string[] {
  const chain: Span[] = []
  let current = spans.reduce<Span | undefined>((last, s) => (last === undefined || s.end > last.end ? s : last), undefined)
  while (current !== undefined) {
    chain.unshift(current)
    const start = current.start
    current = spans
      .filter((s) => s.end <= start && !chain.includes(s))
      .reduce<Span | undefined>((last, s) => (last === undefined || s.end > last.end ? s : last), undefined)
  }
  return chain.map((s) => s.job)
}

/** Start and end of every job that started; a job still running ends `now`. */
function jobSpans(record: RunRecord, now: number): Span[] {
  const spans: Span[] = []
  for (const [job, rec] of Object.entries(record.jobs)) {
    if (rec.startedAt === null) continue
    const start = Date.parse(rec.startedAt)
    const end = rec.finishedAt === null ? (record.finishedAt === null ? now : Date.parse(record.finishedAt)) : Date.parse(rec.finishedAt)
    spans.push({job, start, end: Math.max(start, end)})
  }
  return spans
}

/** The bar of one job as text, e.g. `   ██████      `. */
export function barText(bar: TimelineBar, width: number): string {
  if (bar.from === undefined || bar.to === undefined) return ' '.repeat(width)
  const fill = bar.status === 'cached' ? '░' : bar.status === 'running' ? '▒' : '█'
  return ' '.repeat(bar.from) + fill.repeat(bar.to - bar.from) + ' '.repeat(Math.max(0, width - bar.to))
}
