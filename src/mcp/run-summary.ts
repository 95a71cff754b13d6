import * as z from 'zod'

import {formatDuration} from '../engine/duration.js'
import type {CacheUse, JobStatus, RunStatus} from '../engine/records/events.js'
import type {JobRecord, RunRecord} from '../engine/records/record.js'
import {boundedList, boundedText, statesOf} from './results.js'

// Keyed by the engine's types, so a state added there and missing here does not compile.
const RUN_STATES = statesOf({running: 0, succeeded: 0, failed: 0, timed_out: 0, cancelled: 0, abandoned: 0} satisfies Record<RunStatus, 0>)
const JOB_STATES = statesOf({pending: 0, running: 0, succeeded: 0, failed: 0, timed_out: 0, cancelled: 0, skipped: 0, cached: 0} satisfies Record<JobStatus, 0>)
const CACHE_USES = statesOf({hit: 0, miss: 0, disabled: 0} satisfies Record<CacheUse, 0>)

/** Jobs listed in one run summary at most; the rest are counted. */
export const MAX_JOBS = 200
/** Warnings listed per job at most. */
const MAX_WARNINGS = 10

const errorSchema = z.object({kind: z.string(), message: z.string()}).nullable()

export const jobSummarySchema = z.object({
  name: z.string(),
  status: z.enum(JOB_STATES),
  cache: z.enum(CACHE_USES).nullable().describe('hit: restored from the cache without running; miss: ran; disabled: never cached'),
  cachedFrom: z.string().nullable().describe('with status cached: the run that produced the cache entry'),
  durationMs: z.number().nullable(),
  steps: z.array(z.object({name: z.string(), status: z.string(), exitCode: z.number().nullable(), durationMs: z.number().nullable()})),
  failedStep: z
    .object({index: z.number(), name: z.string(), exitCode: z.number().nullable()})
    .nullable()
    .describe('the step that failed the job (0-based index)'),
  artifacts: z.object({count: z.number(), bytes: z.number()}),
  error: errorSchema,
  skippedReason: z.string().nullable(),
  logTruncated: z.boolean().describe('the job printed more than orca records; its log ends with a marker'),
  logTail: z.string().optional().describe('the last lines of the log of a job that did not succeed (read_log reads more)'),
  warnings: z.array(z.string()).describe(`what the job was warned about (e.g. a cache entry not trusted, an artifact link not kept), the first ${MAX_WARNINGS}`),
})

export const runSummarySchema = z.object({
  id: z.string(),
  status: z.enum(RUN_STATES),
  live: z.boolean().describe('the run is still going in this server'),
  targets: z.array(z.string()),
  file: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  error: errorSchema,
  counts: z.object({succeeded: z.number(), failed: z.number(), cached: z.number(), skipped: z.number(), other: z.number()}),
  jobs: z.array(jobSummarySchema),
  jobsOmitted: z.number().describe(`jobs beyond the first ${MAX_JOBS}, not listed`),
})

export type JobSummary = z.infer<typeof jobSummarySchema>
export type RunSummary = z.infer<typeof runSummarySchema>

/** Jobs that did not end well: their log's last lines belong in the summary. */
export function needsLogTail(job: JobRecord): boolean {
  return job.status === 'failed' || job.status === 'timed_out'
}

/** A run record as an agent reads it: jobs as a list in plan order, the failing step picked out. */
export function summariseRun(record: RunRecord, options: {live: boolean; logTails?: ReadonlyMap<string, string>}): RunSummary {
  const entries = Object.entries(record.jobs)
  const shown = boundedList(entries, MAX_JOBS)
  const counts = {succeeded: 0, failed: 0, cached: 0, skipped: 0, other: 0}
  for (const [, job] of entries) {
    if (job.status === 'succeeded' || job.status === 'cached' || job.status === 'skipped') counts[job.status]++
    else if (job.status === 'failed' || job.status === 'timed_out') counts.failed++
    else counts.other++
  }
  return {
    id: record.id,
    status: record.status,
    live: options.live,
    targets: record.targets,
    file: record.file,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    durationMs: record.durationMs,
    error: boundedError(record.error),
    counts,
    jobs: shown.items.map(([name, job]) => summariseJob(name, job, options.logTails?.get(name))),
    jobsOmitted: shown.omitted,
  }
}

function summariseJob(name: string, job: JobRecord, logTail: string | undefined): JobSummary {
  const failed = job.steps.find((step) => step.status === 'failed' || step.status === 'timed_out')
  return {
    name,
    status: job.status,
    cache: job.cache,
    cachedFrom: job.cachedFrom,
    durationMs: job.durationMs,
    steps: job.steps.map((step) => ({name: boundedText(step.name, 200), status: step.status, exitCode: step.exitCode, durationMs: step.durationMs})),
    failedStep: failed ? {index: failed.index, name: boundedText(failed.name, 200), exitCode: failed.exitCode} : null,
    artifacts: {count: job.artifacts?.count ?? 0, bytes: job.artifacts?.bytes ?? 0},
    error: boundedError(job.error),
    skippedReason: job.skippedReason === null ? null : boundedText(job.skippedReason),
    logTruncated: job.logTruncated,
    warnings: job.warnings.slice(0, MAX_WARNINGS).map((warning) => boundedText(warning.message)),
    ...(logTail === undefined ? {} : {logTail}),
  }
}

function boundedError(error: RunRecord['error']): RunSummary['error'] {
  return error === null ? null : {kind: error.kind, message: boundedText(error.message)}
}

/** A few lines for the text part of a tool result: the outcome, one line a job, the tails of failed logs. */
export function formatRunSummary(summary: RunSummary): string {
  const took = summary.durationMs === null ? '' : ` in ${formatDuration(summary.durationMs)}`
  const lines = [`run ${summary.id} ${summary.status}${took} (targets: ${summary.targets.join(', ') || 'every job'})`]
  if (summary.error) lines.push(`  error: ${summary.error.message}`)
  const width = Math.max(0, ...summary.jobs.map((job) => job.name.length))
  for (const job of summary.jobs) {
    const parts = [`  ${job.name.padEnd(width)}  ${job.status}`]
    if (job.durationMs !== null) parts.push(formatDuration(job.durationMs))
    if (job.failedStep) parts.push(`step ${JSON.stringify(job.failedStep.name)}${job.failedStep.exitCode === null ? '' : ` exited ${job.failedStep.exitCode}`}`)
    if (job.error && !job.failedStep) parts.push(job.error.message)
    if (job.skippedReason) parts.push(job.skippedReason)
    lines.push(parts.join('  '))
    for (const warning of job.warnings) lines.push(`    warning: ${warning}`)
  }
  if (summary.jobsOmitted > 0) lines.push(`  … and ${summary.jobsOmitted} more job(s)`)
  for (const job of summary.jobs) {
    if (job.logTail === undefined) continue
    lines.push(`last lines of ${job.name}'s log (read_log {"run":"${summary.id}","job":"${job.name}"} reads more):`, job.logTail.replace(/\n$/, ''))
  }
  return lines.join('\n')
}
