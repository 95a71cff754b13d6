import {formatDuration} from '../../engine/duration.js'
import type {JobStatus, RunStatus, TestCaseResult} from '../../engine/records/events.js'
import {jobRecordOf, type JobRecord, type RunRecord} from '../../engine/records/record.js'
import {describeJob} from './plain.js'

const ICON: Record<JobStatus | RunStatus, string> = {
  pending: '⏸️',
  running: '⏳',
  succeeded: '✅',
  cached: '♻️',
  failed: '❌',
  timed_out: '⏱️',
  cancelled: '🚫',
  skipped: '⏭️',
  abandoned: '💀',
}

/**
 * A run as Markdown for CI summaries (`$GITHUB_STEP_SUMMARY`): one table row per job with its
 * state, duration and cache use, then the last lines of each failed job in a collapsed block.
 */
export function runSummaryMarkdown(
  record: RunRecord,
  failures: ReadonlyMap<string, string[]> = new Map(),
  testFailures: ReadonlyMap<string, readonly TestCaseResult[]> = new Map(),
): string {
  const took = record.durationMs === null ? '' : ` in ${formatDuration(record.durationMs)}`
  const out = [`### orca run \`${record.id}\`: ${ICON[record.status]} ${record.status.replace('_', ' ')}${took}`, '']
  out.push('| job | status | duration | cache |', '| --- | --- | ---: | --- |')
  for (const [name, job] of Object.entries(record.jobs)) {
    out.push(`| ${cell(job.displayName ?? name)} | ${ICON[job.status]} ${cell(describeStatus(job, record.error?.message))} | ${duration(job)} | ${job.cache ?? '—'} |`)
  }
  if (record.error) out.push('', `**error:** ${cell(record.error.message)}`)
  out.push(...testsSection(record, testFailures))
  const warnings = Object.entries(record.jobs).flatMap(([name, job]) => job.warnings.map((w) => `- **${cell(name)}**: ${cell(w.message)}`))
  if (warnings.length > 0) out.push('', '**warnings**', '', ...warnings)
  for (const [name, lines] of failures) {
    const job = jobRecordOf(record, name)
    if (job === undefined) continue
    const fence = '`'.repeat(Math.max(3, longestRun(lines, '`') + 1))
    out.push('', `<details><summary>${html(`${name}: ${describeJob(job, record.error?.message)}`)}</summary>`, '', `${fence}text`, ...lines, fence, '', '</details>')
  }
  return `${out.join('\n')}\n`
}

/** Failed tests shown per job in the summary; the report in the run directory has them all. */
const MAX_FAILED_TESTS = 20

/** A table of each job's test counts (from its JUnit reports), then its failed tests. */
function testsSection(record: RunRecord, testFailures: ReadonlyMap<string, readonly TestCaseResult[]>): string[] {
  const jobs = Object.entries(record.jobs).filter(([, job]) => job.reports !== null)
  if (jobs.length === 0) return []
  const out = ['', '**tests**', '', '| job | tests | failed | errored | skipped |', '| --- | ---: | ---: | ---: | ---: |']
  for (const [name, job] of jobs) {
    const {tests, failures, errors, skipped} = job.reports!.junit
    out.push(`| ${cell(job.displayName ?? name)} | ${tests} | ${failures} | ${errors} | ${skipped} |`)
  }
  for (const [name, failed] of testFailures) {
    if (failed.length === 0) continue
    out.push('', `**${cell(name)}: failed tests**`, '')
    for (const c of failed.slice(0, MAX_FAILED_TESTS)) {
      const where = c.file === undefined ? '' : ` (${cell(c.file)}${c.line === undefined ? '' : `:${c.line}`})`
      out.push(`- ${cell(`${c.classname ? `${c.classname} › ` : ''}${c.name}`)}${where}${c.message ? `: ${cell(c.message)}` : ''}`)
    }
    if (failed.length > MAX_FAILED_TESTS) out.push(`- … ${failed.length - MAX_FAILED_TESTS} more in the job's report`)
  }
  return out
}

function describeStatus(job: JobRecord, runError: string | undefined): string {
  // The duration has its own column.
  return describeJob({...job, durationMs: null}, runError)
}

function duration(job: JobRecord): string {
  return job.durationMs === null || job.status === 'skipped' ? '' : formatDuration(job.durationMs)
}

/** A table cell: pipes and newlines would end the cell or the row. */
function cell(text: string): string {
  return html(text).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}

function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function longestRun(lines: string[], char: string): number {
  let longest = 0
  for (const line of lines) {
    for (const match of line.matchAll(new RegExp(`\\${char}+`, 'g'))) longest = Math.max(longest, match[0].length)
  }
  return longest
}
