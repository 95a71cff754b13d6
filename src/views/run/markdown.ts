import {formatDuration} from '../../engine/duration.js'
import type {JobStatus, RunStatus} from '../../engine/records/events.js'
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
export function runSummaryMarkdown(record: RunRecord, failures: ReadonlyMap<string, string[]> = new Map()): string {
  const took = record.durationMs === null ? '' : ` in ${formatDuration(record.durationMs)}`
  const out = [`### orca run \`${record.id}\`: ${ICON[record.status]} ${record.status.replace('_', ' ')}${took}`, '']
  out.push('| job | status | duration | cache |', '| --- | --- | ---: | --- |')
  for (const [name, job] of Object.entries(record.jobs)) {
    out.push(`| ${cell(name)} | ${ICON[job.status]} ${cell(describeStatus(job, record.error?.message))} | ${duration(job)} | ${job.cache ?? '—'} |`)
  }
  if (record.error) out.push('', `**error:** ${cell(record.error.message)}`)
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
