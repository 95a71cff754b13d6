import type {Writable} from 'node:stream'

import {formatDuration} from '../../engine/duration.js'
import type {EventSink, JobStatus, JunitReports, OrcaEvent, RunStatus} from '../../engine/records/events.js'
import {foldEvent, jobRecordOf} from '../../engine/records/record.js'
import type {JobRecord, RunRecord} from '../../engine/records/record.js'
import {drained} from '../../engine/stream-drain.js'
import {cachedDetail, remoteCacheSummary} from './remote-cache.js'
import {volumeLine, volumesSummary} from './volumes.js'
import {STATUS_MARK} from './status-marks.js'
import {painter, shouldColor} from './color.js'
import type {Paint, Style} from './color.js'

export interface PlainReporterOptions {
  /** Force colour on or off; by default it follows the stream and the environment. */
  color?: boolean
  env?: NodeJS.ProcessEnv
}

const PREFIX_STYLES: Style[] = ['cyan', 'magenta', 'blue', 'yellow', 'green']

/** A state's glyph and its terminal style. */
function markOf(status: JobStatus | RunStatus): [string, Style] {
  const [glyph, tone] = STATUS_MARK[status]
  return [glyph, tone === 'muted' ? 'dim' : tone]
}

/**
 * Line-oriented output for pipes and CI logs: `[job] line` for every output line, a line per step
 * start and job result, and a summary at the end. CI flavours (GitHub `::group::`, GitLab sections)
 * extend it through the protected `on*` hooks and `jobLine` (see `ci.ts`).
 */
export class PlainReporter implements EventSink {
  protected readonly out: Writable
  protected readonly paint: Paint
  protected readonly env: NodeJS.ProcessEnv
  protected record: RunRecord | undefined
  private width = 0
  private readonly prefixes = new Map<string, string>()
  private readonly pulled = new Set<string>()
  /**
   * The error orca prints once when the run ends (the first infrastructure error, e.g. Docker
   * unreachable): jobs that failed of it refer to it instead of repeating it.
   */
  protected runError: string | undefined

  constructor(out: Writable & {isTTY?: boolean}, options: PlainReporterOptions = {}) {
    this.out = out
    this.env = options.env ?? process.env
    this.paint = painter(options.color ?? shouldColor(out, this.env))
  }

  handle(event: OrcaEvent): void {
    this.record = foldEvent(this.record, event)
    if ((event.type === 'job.finished' || event.type === 'run.finished') && event.error?.kind === 'infra') this.runError ??= event.error.message
    switch (event.type) {
      case 'run.started':
        this.width = Math.max(0, ...event.jobs.map((name) => name.length + 2))
        event.jobs.forEach((name, i) => this.prefixes.set(name, this.stylePrefix(name, i)))
        return this.onRunStarted(event.runId, event.jobs.length)
      case 'image.pull':
        if (this.pulled.has(event.image)) return
        this.pulled.add(event.image)
        return this.write(this.paint('dim', `pulling image ${event.image}…`))
      case 'image.build':
        return event.job === undefined ? undefined : this.onOutput(event.job, event.text)
      case 'step.started':
        return this.onStepStarted(event.job, event.name)
      case 'step.output':
        return this.onOutput(event.job, event.text)
      case 'step.finished':
        if (event.status === 'failed' && event.allowFailure) {
          const exit = event.exitCode === null ? '' : ` (exit ${event.exitCode})`
          this.jobLine(event.job, this.paint('yellow', `! step "${event.name}" failed${exit}; allowed to fail`))
        }
        return
      case 'job.finished':
      case 'job.skipped':
        return this.onJobSettled(event.job)
      case 'run.finished':
        return this.onRunFinished()
      case 'job.started':
        return this.onJobStarted(event.job)
      case 'job.warning':
        return this.onWarning(event.job, event.message)
      case 'job.retrying':
        return this.onRetrying(event.job, retryLine(event, jobRecordOf(this.record, event.job), this.runError))
      case 'job.reports':
        return this.onReports(event.job, event.junit)
      case 'volume.restored':
      case 'volume.saved':
        return this.jobLine(event.job, this.paint('dim', volumeLine(event)))
      case 'job.container':
      case 'job.artifacts':
      case 'job.outputs':
      case 'cache.remote':
        return
    }
  }

  close(): Promise<void> {
    return drained(this.out)
  }

  protected onRunStarted(runId: string, jobCount: number): void {
    this.write(this.paint('dim', `orca run ${runId}: ${jobCount} job${jobCount === 1 ? '' : 's'}`))
  }

  /** Plain output says nothing until the first step: a group job has none and would only add noise. */
  protected onJobStarted(_job: string): void {}

  protected onStepStarted(job: string, name: string): void {
    this.jobLine(job, this.paint('bold', `▶ ${name}`))
  }

  /** Something the user should know about a job that did not stop it (a cache entry ignored, an artifact not kept). */
  protected onWarning(job: string, message: string): void {
    this.jobLine(job, this.paint('yellow', `! ${message}`))
  }

  /** An attempt of a job ended without success and the job runs again. */
  protected onRetrying(job: string, line: string): void {
    this.jobLine(job, this.paint('yellow', `↻ ${line}`))
  }

  /** A job's test reports: their counts come with its end; a CI flavour may annotate failures. */
  protected onReports(_job: string, _junit: JunitReports): void {}

  protected onOutput(job: string, text: string): void {
    const lines = text.split('\n')
    if (lines.at(-1) === '') lines.pop()
    // A trailing `\r` (CRLF output, progress bars) would send the cursor back over the prefix.
    for (const line of lines) this.jobLine(job, line.replace(/\r+$/, ''))
  }

  protected onJobSettled(job: string): void {
    const record = jobRecordOf(this.record, job)
    if (record === undefined) return
    const [mark, style] = markOf(record.status)
    const named = record.displayName ? `${record.displayName}: ` : ''
    this.jobLine(job, this.paint(style, `${mark} ${named}${describeJob(record, this.runError)}${record.executor === 'host' ? ' (host)' : ''}`))
    if (record.workDir !== null) this.jobLine(job, this.paint('dim', `kept its folder: ${record.workDir}`))
    // A message of several lines (a service's last log lines) follows the one-line verdict.
    const more = record.error && summaryDetail(record, this.runError) !== SEE_RUN_ERROR ? record.error.message.split('\n').slice(1) : []
    for (const line of more) this.jobLine(job, this.paint('dim', line))
  }

  protected onRunFinished(): void {
    const record = this.record
    if (record === undefined) return
    const names = Object.keys(record.jobs)
    const width = Math.max(0, ...names.map((n) => n.length))
    const lines = ['', this.paint('bold', 'Summary')]
    const counts = new Map<JobStatus, number>()
    for (const name of names) {
      const job = record.jobs[name] as JobRecord
      counts.set(job.status, (counts.get(job.status) ?? 0) + 1)
      const [mark, style] = markOf(job.status)
      const time = job.durationMs === null || job.status === 'skipped' ? '' : formatDuration(job.durationMs)
      const detail = [
        [job.displayName ?? '', summaryDetail(job, this.runError)].filter(Boolean).join(': '),
        testCounts(job) && `(${testCounts(job)})`,
        job.executor === 'host' ? '(host)' : '',
      ]
        .filter(Boolean)
        .join('  ')
      lines.push(
        `  ${this.paint(style, mark)} ${name.padEnd(width)}  ${this.paint(style, job.status.replace('_', ' ').padEnd(9))}  ${time.padStart(6)}${detail ? `  ${this.paint('dim', detail)}` : ''}`,
      )
    }
    const flaky = names.filter((name) => (record.jobs[name] as JobRecord).flaky).length
    const totals = [...counts].map(([status, n]) => `${n} ${status.replace('_', ' ')}${status === 'succeeded' && flaky > 0 ? ` (${flaky} flaky)` : ''}`).join(', ')
    const took = record.durationMs === null ? '' : ` in ${formatDuration(record.durationMs)}`
    const [, runStyle] = markOf(record.status)
    lines.push(
      `${names.length} job${names.length === 1 ? '' : 's'}: ${totals || 'none'}; ` +
        this.paint(runStyle, `run ${record.status.replace('_', ' ')}${took}`),
    )
    const remote = remoteCacheSummary(record)
    if (remote) lines.push(this.paint('dim', remote))
    const volumes = volumesSummary(record)
    if (volumes) lines.push(this.paint('dim', volumes))
    // The run's error itself is said once, after this summary, with its hint (see `formatRunError`).
    this.write(lines.join('\n'))
  }

  /** One line of a job, behind its padded `[job]` prefix. */
  protected jobLine(job: string, text: string): void {
    const prefix = this.prefixes.get(job) ?? this.stylePrefix(job, this.prefixes.size)
    this.write(`${prefix} ${text}`)
  }

  protected write(line: string): void {
    this.out.write(`${line}\n`)
  }

  private stylePrefix(job: string, index: number): string {
    const label = `[${job}]`.padEnd(this.width)
    const prefix = this.paint(PREFIX_STYLES[index % PREFIX_STYLES.length] as Style, label)
    this.prefixes.set(job, prefix)
    return prefix
  }
}

/**
 * `attempt 1 of 3 failed (step "test" exited 1); retrying`: a view's line for a job.retrying event,
 * told from the job's record with the event folded in (the attempt's steps are its last attempt's).
 */
export function retryLine(event: {attempt: number; maxAttempts: number; status: string}, job: JobRecord | undefined, runError?: string): string {
  const ended = job?.attempts.at(-1)
  const why = job && ended ? summaryDetail({...job, status: ended.status, steps: ended.steps, error: ended.error}, runError) : ''
  return `attempt ${event.attempt} of ${event.maxAttempts} ${event.status.replace('_', ' ')}${why ? ` (${why})` : ''}; retrying`
}

/** What a job that failed of the run's error says instead of repeating it. */
export const SEE_RUN_ERROR = 'could not run: see the error below'

/**
 * `succeeded in 4.2s`, `failed (step "compile" exited 2)`, `skipped (needs build (failed))`…
 * `runError` is the message printed once at the end of the run, which a job refers to rather than repeats.
 */
export function describeJob(job: JobRecord, runError?: string): string {
  const tests = testCounts(job)
  return tests ? `${describeEnd(job, runError)}  (${tests})` : describeEnd(job, runError)
}

/** `tests: 48, 2 failed, 1 skipped` from a job's JUnit reports; empty when it has none. */
export function testCounts(job: JobRecord): string {
  const junit = job.reports?.junit
  if (!junit) return ''
  const parts = [`tests: ${junit.tests}`]
  if (junit.failures > 0) parts.push(`${junit.failures} failed`)
  if (junit.errors > 0) parts.push(`${junit.errors} errored`)
  if (junit.skipped > 0) parts.push(`${junit.skipped} skipped`)
  return parts.join(', ')
}

function describeEnd(job: JobRecord, runError?: string): string {
  const took = job.durationMs === null ? '' : ` in ${formatDuration(job.durationMs)}`
  const attempts = job.attempts.length
  switch (job.status) {
    case 'succeeded':
      return job.flaky ? `succeeded on attempt ${attempts} (flaky)${took}` : `succeeded${took}`
    case 'cached':
      return cachedDetail(job)
    case 'skipped':
      return job.skippedReason ? `skipped (${job.skippedReason})` : 'skipped'
    case 'failed':
    case 'timed_out':
    case 'cancelled': {
      const why = summaryDetail(job, runError)
      return `${job.status.replace('_', ' ')}${why ? ` (${why})` : ''}${attempts > 1 ? ` after ${attempts} attempts` : ''}${took}`
    }
    case 'pending':
    case 'running':
      return job.status
  }
}

/** Why a job ended the way it did, in a few words; empty when it went well. */
export function summaryDetail(job: JobRecord, runError?: string): string {
  if (job.status === 'skipped') return job.skippedReason ?? ''
  if (job.status === 'succeeded' && job.flaky) return `flaky: passed on attempt ${job.attempts.length}`
  if (job.status === 'succeeded' || job.status === 'cached') return ''
  const step = job.steps.find((s) => !s.allowFailure && (s.status === 'failed' || s.status === 'timed_out'))
  // Its first line: the rest of a long message is printed once, under the job's verdict.
  if (job.error) return job.error.kind === 'infra' && job.error.message === runError ? SEE_RUN_ERROR : (job.error.message.split('\n')[0] ?? '')
  if (step === undefined) return ''
  if (step.status === 'timed_out') return `step "${step.name}"`
  return step.exitCode === null ? `step "${step.name}" failed` : `step "${step.name}" exited ${step.exitCode}`
}
