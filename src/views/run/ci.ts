import {randomBytes} from 'node:crypto'
import {appendFileSync} from 'node:fs'
import type {Writable} from 'node:stream'

import {jobRecordOf, type JobRecord} from '../../engine/records/record.js'
import {ciFlavour} from './ci-environment.js'
import {runSummaryMarkdown} from './markdown.js'
import {describeJob, PlainReporter} from './plain.js'
import type {PlainReporterOptions} from './plain.js'

/** Past this many lines a job's group keeps a count instead (the full text is in its log file). */
const MAX_GROUP_LINES = 20_000
const FAILED = new Set(['failed', 'timed_out', 'cancelled'])
/** How many of a failed job's last lines are repeated after the groups and in the step summary. */
const FAILURE_TAIL = 30

/**
 * Plain output folded per job for CI log viewers: a job's lines are held until it settles, then
 * printed as one collapsible group titled with its result, so parallel jobs do not interleave.
 */
export abstract class GroupedReporter extends PlainReporter {
  private readonly open = new Map<string, {lines: string[]; omitted: number}>()
  /** The last lines of each job that did not succeed, in the order they settled. */
  protected readonly failures = new Map<string, string[]>()

  protected abstract groupStart(job: string, title: string, record: JobRecord): string
  protected abstract groupEnd(job: string, record: JobRecord): string
  /** Lines a CI could mistake for its own commands are fenced by the flavour. */
  protected fence(lines: string[]): string[] {
    return lines
  }
  protected annotate(_job: string, _record: JobRecord): void {}

  protected override onJobStarted(job: string): void {
    this.open.set(job, {lines: [], omitted: 0})
    super.jobLine(job, this.paint('dim', 'started'))
  }

  protected override jobLine(job: string, text: string): void {
    const group = this.open.get(job)
    if (group === undefined) return super.jobLine(job, text)
    if (group.lines.length < MAX_GROUP_LINES) group.lines.push(text)
    else group.omitted++
  }

  protected override onJobSettled(job: string): void {
    const group = this.open.get(job)
    this.open.delete(job)
    const record = jobRecordOf(this.record, job)
    if (record === undefined) return
    if (FAILED.has(record.status)) this.failures.set(job, group?.lines.slice(-FAILURE_TAIL) ?? [])
    if (group === undefined || (group.lines.length === 0 && group.omitted === 0)) {
      super.onJobSettled(job)
    } else {
      const lines = [...group.lines]
      if (group.omitted > 0) lines.push(`… ${group.omitted} more lines: orca logs ${this.record?.id ?? 'latest'} --job ${job}`)
      this.write(this.groupStart(job, `[${job}] ${describeJob(record, this.runError)}`, record))
      for (const line of this.fence(lines)) this.write(line)
      this.write(this.groupEnd(job, record))
    }
    if (FAILED.has(record.status)) this.annotate(job, record)
  }

  protected override onRunFinished(): void {
    // A cancelled run may end with jobs that never reported: print what they wrote.
    for (const job of [...this.open.keys()]) this.onJobSettled(job)
    this.beforeSummary()
    super.onRunFinished()
  }

  /** What a flavour prints after every group and before the summary. */
  protected beforeSummary(): void {}
}

/** GitHub Actions: `::group::`, `::error::` annotations, job output fenced by `::stop-commands::`. */
export class GithubReporter extends GroupedReporter {
  protected groupStart(_job: string, title: string): string {
    return `::group::${escapeData(title)}`
  }

  protected groupEnd(): string {
    return '::endgroup::'
  }

  protected override fence(lines: string[]): string[] {
    // A job printing `::add-mask::` or `::set-output` must not drive the workflow running orca.
    const token = randomBytes(8).toString('hex')
    return [`::stop-commands::${token}`, ...lines, `::${token}::`]
  }

  protected override annotate(job: string, record: JobRecord): void {
    // The run's own error becomes one annotation when the run ends (`formatRunError`), not one per job.
    if (record.error?.kind === 'infra' && record.error.message === this.runError) return
    this.write(`::error title=${escapeProperty(`orca: ${job}`)}::${escapeData(describeJob(record))}`)
  }

  /** A warning is also an annotation, outside the job's group, so the workflow's summary shows it. */
  protected override onWarning(job: string, message: string): void {
    super.onWarning(job, message)
    this.write(`::warning title=${escapeProperty(`orca: ${job}`)}::${escapeData(message)}`)
  }

  /** Failures are repeated outside any group, so the end of the log shows what went wrong. */
  protected override beforeSummary(): void {
    for (const [job, tail] of this.failures) {
      const record = jobRecordOf(this.record, job)
      if (record === undefined) continue
      this.write('')
      this.write(this.paint('red', `✗ [${job}] ${describeJob(record, this.runError)}`))
      if (tail.length > 0) for (const line of this.fence(tail)) this.write(line)
    }
  }

  /** Appends the run's Markdown summary to `$GITHUB_STEP_SUMMARY` when the workflow provides one. */
  override close(): Promise<void> {
    const file = this.env.GITHUB_STEP_SUMMARY
    if (file && this.record !== undefined && this.record.status !== 'running') {
      const tails = new Map([...this.failures].map(([job, lines]) => [job, lines.map(stripAnsi)]))
      try {
        appendFileSync(file, runSummaryMarkdown(this.record, tails))
      } catch (error) {
        this.write(`::warning::orca could not write the step summary: ${escapeData((error as Error).message)}`)
      }
    }
    return super.close()
  }
}

/** GitLab CI: collapsible sections, collapsed when the job went well, timed from the record. */
export class GitlabReporter extends GroupedReporter {
  private sections = 0
  private readonly ids = new Map<string, string>()

  protected groupStart(job: string, title: string, record: JobRecord): string {
    const id = `orca_${job.replace(/[^a-zA-Z0-9_.-]/g, '_')}_${++this.sections}`
    this.ids.set(job, id)
    const collapsed = !FAILED.has(record.status)
    return `\u001B[0Ksection_start:${unixSeconds(record.startedAt)}:${id}[collapsed=${collapsed}]\r\u001B[0K${title}`
  }

  protected groupEnd(job: string, record: JobRecord): string {
    return `\u001B[0Ksection_end:${unixSeconds(record.finishedAt)}:${this.ids.get(job)}\r\u001B[0K`
  }
}

/**
 * The run's error (Docker unreachable, an image missing) as orca says it once, after the summary,
 * on stderr: `error:` and `hint:` lines, or under GitHub Actions one `::error` annotation carrying both.
 */
export function formatRunError(error: {message: string; hint?: string}, env: NodeJS.ProcessEnv): string {
  if (ciFlavour(env) === 'github') {
    const text = error.hint ? `${error.message}\nhint: ${error.hint}` : error.message
    return `::error title=orca::${escapeData(text)}\n`
  }
  return `error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`
}

/** The line reporter for where orca runs: GitHub Actions, GitLab CI or anything else. */
export function lineReporterFor(out: Writable & {isTTY?: boolean}, options: PlainReporterOptions = {}): PlainReporter {
  const flavour = ciFlavour(options.env ?? process.env)
  if (flavour === 'github') return new GithubReporter(out, options)
  if (flavour === 'gitlab') return new GitlabReporter(out, options)
  return new PlainReporter(out, options)
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001B\[[0-9;]*m/g, '')
}

function unixSeconds(time: string | null): number {
  return Math.floor((time === null ? Date.now() : Date.parse(time)) / 1000)
}

// Escaping as GitHub's own toolkit does for workflow commands.
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C')
}
