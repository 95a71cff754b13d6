import {replayHeader, retryHeader} from '../records/log-header.js'
import type {OrcaEvent} from '../records/events.js'
import {followEvents} from '../records/follow.js'
import {readEvents} from '../records/store.js'
import {markAbandoned} from './abandon.js'
import {runLiveness, systemProbe, type LivenessProbe} from './liveness.js'

/**
 * Turns a run's events into log text as `logs/<job>.log` holds it (`==> step` headers, then output).
 * With one job the text is as is; with several each line is prefixed `[job] `.
 */
export class LogPrinter {
  private readonly atLineStart = new Map<string, boolean>()
  private lastJob: string | undefined

  constructor(
    private readonly write: (text: string) => void,
    private readonly options: {job?: string} = {},
  ) {}

  handle(event: OrcaEvent): void {
    if (event.type !== 'step.started' && event.type !== 'step.output' && event.type !== 'job.started' && event.type !== 'job.retrying') return
    if (this.options.job !== undefined && event.job !== this.options.job) return
    if (event.type === 'job.started') {
      if (event.cache === 'hit') this.emit(event.job, replayHeader(event))
    } else if (event.type === 'job.retrying') {
      this.endLine(event.job)
      this.emit(event.job, retryHeader(event))
    } else if (event.type === 'step.started') {
      this.endLine(event.job)
      this.emit(event.job, `==> ${event.name}\n`)
    } else {
      this.emit(event.job, event.text)
    }
  }

  /** Ends a last line that had no newline. */
  end(): void {
    for (const job of this.atLineStart.keys()) this.endLine(job)
  }

  private endLine(job: string): void {
    if (this.atLineStart.get(job) === false) this.emit(job, '\n')
  }

  private emit(job: string, text: string): void {
    if (text === '') return
    if (this.options.job !== undefined) {
      this.write(text)
      this.atLineStart.set(job, text.endsWith('\n'))
      return
    }
    // Output of another job arrived mid-line: finish that line first so prefixes stay at line starts.
    if (this.lastJob !== undefined && this.lastJob !== job && this.atLineStart.get(this.lastJob) === false) {
      this.write('\n')
      this.atLineStart.set(this.lastJob, true)
    }
    const prefix = `[${job}] `
    let out = ''
    let start = this.atLineStart.get(job) ?? true
    for (const piece of text.split(/(?<=\n)/)) {
      out += (start ? prefix : '') + piece
      start = piece.endsWith('\n')
    }
    this.write(out)
    this.atLineStart.set(job, start)
    this.lastJob = job
  }
}

export interface FollowRunOptions {
  signal?: AbortSignal
  pollMs?: number
  /** How often the owner's liveness is checked while the run is quiet. */
  livenessMs?: number
  probe?: LivenessProbe
}

/**
 * A run's events from another process until it finishes. Unlike `followEvents` alone it also ends
 * for a run whose orca process died: that run is recorded as abandoned, which ends the stream.
 */
export async function* followRun(runsDir: string, id: string, options: FollowRunOptions = {}): AsyncGenerator<OrcaEvent> {
  const stop = new AbortController()
  const onAbort = (): void => stop.abort()
  options.signal?.addEventListener('abort', onAbort, {once: true})
  if (options.signal?.aborted) stop.abort()
  const probe = options.probe ?? systemProbe()
  // Another process may be recording the end right now: give up only after several failed tries.
  let failures = 0
  const watch = setInterval(() => {
    const liveness = runLiveness(runsDir, id, probe)
    if (liveness.alive) return
    // The run may have finished normally (lock released after run.finished): the stream ends by itself then.
    void readEvents(runsDir, id)
      .then((events) => {
        if (events.some((e) => e.type === 'run.finished')) return
        if (markAbandoned(runsDir, id, liveness.reason) === undefined && ++failures >= 5) stop.abort()
      })
      .catch(() => {
        if (++failures >= 5) stop.abort()
      })
  }, options.livenessMs ?? 1000)
  try {
    yield* followEvents(runsDir, id, {signal: stop.signal, pollMs: options.pollMs})
  } finally {
    clearInterval(watch)
    options.signal?.removeEventListener('abort', onAbort)
  }
}
