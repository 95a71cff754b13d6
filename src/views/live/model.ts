import type {PastDurations} from '../../engine/history/past-durations.js'
import {summaryDetail} from '../run/plain.js'
import {remoteCacheSummary} from '../run/remote-cache.js'
import {volumesSummary} from '../run/volumes.js'
import {OutputTail} from '../run/tail.js'
import type {CacheUse, JobStatus, OrcaEvent, RunStatus} from '../../engine/records/events.js'
import {foldEvent, jobRecordOf} from '../../engine/records/record.js'
import type {RunRecord} from '../../engine/records/record.js'

/** Lines kept per job: enough for the live tail and for a failure's last lines. */
export const TAIL_LINES = 12

/** One job as the view shows it. */
export interface JobView {
  name: string
  status: JobStatus
  cache: CacheUse | null
  /** The cache hit came from the remote cache (downloaded in this run). */
  remoteHit?: boolean
  /** A cached job whose recorded output was shown again. */
  replayed: boolean
  /** The running step, or the step that failed the job. */
  step: string | null
  /** Milliseconds the job has run (so far, when running). */
  elapsedMs: number | null
  /** Median duration in past runs, when known. */
  estimateMs: number | null
  /** The job's last output lines, cleaned for display. */
  lines: string[]
  detail: string
  /** What the job was warned about (messages, in order). */
  warnings: string[]
  /** It runs on this machine (`runs-on: host`), not in a container. */
  host?: boolean
}

export interface PullView {
  image: string
  status: string
  current?: number
  total?: number
}

/** Everything a frame needs, computed once per frame. */
export interface ViewSnapshot {
  runId: string
  status: RunStatus
  jobs: JobView[]
  pulls: PullView[]
  done: number
  total: number
  elapsedMs: number
  /** Estimated time left, from past runs of the same jobs; absent when unknown. */
  etaMs?: number
  /** 0: not asked; 1: cancelling; 2: forcing. */
  cancelling: number
  /** What the remote cache did (hits, misses, uploads); empty without one. */
  remoteCache?: string
  /** What the cache did with keyed volumes (restored, saved); empty when nothing. */
  volumes?: string
}

const SETTLED: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'timed_out', 'cancelled', 'skipped', 'cached'])

/**
 * The state of the live view, folded from events. Output events only touch a bounded tail, so a
 * step printing thousands of lines a second costs the engine almost nothing.
 */
export class ViewModel {
  record: RunRecord | undefined
  cancelling = 0
  private readonly tails = new Map<string, OutputTail>()
  private readonly pulls = new Map<string, PullView>()
  /** Bytes of each layer of each image being pulled: the pull's line shows their sums. */
  private readonly layers = new Map<string, Map<string, {current: number; total: number}>>()
  private readonly replayed = new Set<string>()

  constructor(private readonly past: PastDurations = {jobMs: new Map()}) {}

  handle(event: OrcaEvent): void {
    switch (event.type) {
      case 'step.output': {
        let tail = this.tails.get(event.job)
        if (tail === undefined) this.tails.set(event.job, (tail = new OutputTail(TAIL_LINES)))
        tail.push(event.text)
        if (jobRecordOf(this.record, event.job)?.cache === 'hit') this.replayed.add(event.job)
        return
      }
      case 'image.pull':
        this.pulls.set(event.image, this.pullView(event))
        return
      case 'image.build': {
        // A build's output is its job's, as its steps' is.
        if (event.job === undefined) return
        let tail = this.tails.get(event.job)
        if (tail === undefined) this.tails.set(event.job, (tail = new OutputTail(TAIL_LINES)))
        tail.push(event.text)
        return
      }
      case 'image.ready':
      case 'image.failed':
        // Each image is prepared on its own: its line goes when it is settled, the others stay.
        this.pulls.delete(event.image)
        this.layers.delete(event.image)
        return
      default:
        break
    }
    this.record = foldEvent(this.record, event)
  }

  /** An image's pull as one line: the engine's last message, and the bytes of its layers so far. */
  private pullView(event: Extract<OrcaEvent, {type: 'image.pull'}>): PullView {
    if (event.layer === undefined) return {image: event.image, status: event.status, current: event.current, total: event.total}
    let layers = this.layers.get(event.image)
    if (layers === undefined) this.layers.set(event.image, (layers = new Map()))
    const layer = layers.get(event.layer) ?? {current: 0, total: 0}
    if (event.total !== undefined && event.total > 0) layer.total = event.total
    if (event.current !== undefined) layer.current = Math.min(event.current, layer.total || event.current)
    if (/complete|already exists/i.test(event.status)) layer.current = layer.total
    layers.set(event.layer, layer)
    let current = 0
    let total = 0
    for (const l of layers.values()) {
      current += l.current
      total += l.total
    }
    const done = [...layers.values()].filter((l) => l.total > 0 && l.current >= l.total).length
    return {image: event.image, status: `${done}/${layers.size} layers`, ...(total > 0 ? {current, total} : {})}
  }

  snapshot(now: number): ViewSnapshot {
    const record = this.record
    if (record === undefined) {
      return {runId: '', status: 'running', jobs: [], pulls: [], done: 0, total: 0, elapsedMs: 0, cancelling: this.cancelling, remoteCache: ''}
    }
    const jobs: JobView[] = Object.entries(record.jobs).map(([name, job]) => {
      const started = job.startedAt === null ? null : Date.parse(job.startedAt)
      const running = job.steps.find((s) => s.status === 'running')
      const failed = job.steps.find((s) => !s.allowFailure && (s.status === 'failed' || s.status === 'timed_out'))
      return {
        // What a person reads: a matrix expansion shows as `test (node=20, db=pg)`.
        name: job.displayName ?? name,
        status: job.status,
        cache: job.cache,
        remoteHit: job.remoteCache?.lookup?.result === 'hit',
        replayed: this.replayed.has(name),
        step: (running ?? failed)?.name ?? null,
        elapsedMs: job.durationMs ?? (job.status === 'running' && started !== null ? Math.max(0, now - started) : null),
        estimateMs: this.past.jobMs.get(name) ?? null,
        lines: this.tails.get(name)?.last() ?? [],
        detail: summaryDetail(job, record.error?.message),
        warnings: job.warnings.map((w) => w.message),
        host: job.executor === 'host',
      }
    })
    const done = jobs.filter((j) => SETTLED.has(j.status)).length
    const elapsedMs = record.durationMs ?? Math.max(0, now - Date.parse(record.startedAt))
    const snapshot: ViewSnapshot = {
      runId: record.id,
      status: record.status,
      jobs,
      pulls: [...this.pulls.values()],
      done,
      total: jobs.length,
      elapsedMs,
      cancelling: this.cancelling,
      remoteCache: remoteCacheSummary(record),
      volumes: volumesSummary(record),
    }
    if (this.past.runMs !== undefined && record.status === 'running') snapshot.etaMs = Math.max(0, this.past.runMs - elapsedMs)
    return snapshot
  }
}
