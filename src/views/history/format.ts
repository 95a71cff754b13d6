import {formatBytes} from '../../engine/bytes.js'
import {formatDuration} from '../../engine/duration.js'
import type {ArtifactEntry} from '../../engine/artifacts/manifest.js'
import type {JobRecord, RunRecord} from '../../engine/records/record.js'
import {barText, layoutTimeline} from './timeline.js'

/** Jobs of a run by outcome: `ok` ran and succeeded; `failed` failed, timed out or was cancelled. */
function jobCounts(record: RunRecord): {ok: number; failed: number; cached: number; skipped: number} {
  const counts = {ok: 0, failed: 0, cached: 0, skipped: 0}
  for (const job of Object.values(record.jobs)) {
    if (job.status === 'succeeded') counts.ok++
    else if (job.status === 'cached') counts.cached++
    else if (job.status === 'skipped') counts.skipped++
    else if (job.status === 'failed' || job.status === 'timed_out' || job.status === 'cancelled') counts.failed++
  }
  return counts
}

/** How long a run took, or has been running so far. */
function runDuration(record: RunRecord, now: number): string {
  if (record.durationMs !== null) return formatDuration(record.durationMs)
  if (record.status === 'running') return `${formatDuration(Math.max(0, now - Date.parse(record.startedAt)))}…`
  return '-'
}

/** `2026-11-25 20:30:15` in local time. */
function formatTime(iso: string | null): string {
  if (iso === null) return '-'
  const d = new Date(iso)
  const pad = (n: number): string => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

/** `orca runs`: one line per run, newest first. */
export function formatRunsTable(records: RunRecord[], now: number = Date.now()): string {
  if (records.length === 0) return 'no runs recorded\n'
  const rows = records.map((r) => {
    const c = jobCounts(r)
    return [r.id, label(r.status), r.targets.join(',') || '(all)', formatTime(r.startedAt), runDuration(r, now), String(c.ok), String(c.failed), String(c.cached)]
  })
  const runs = table(['RUN', 'STATUS', 'TARGETS', 'STARTED', 'DURATION', 'OK', 'FAILED', 'CACHED'], rows, [false, false, false, false, true, true, true, true])
  const kept = records.flatMap((r) => keptJobs(r).map((name) => `  ${r.id}  ${name}  ${keptText(r.jobs[name]!)}`))
  return kept.length === 0 ? runs : `${runs}\nkept containers (orca shell RUN JOB opens one)\n${kept.join('\n')}\n`
}

/** The jobs of a run whose container its cleanup policy kept. */
function keptJobs(record: RunRecord): string[] {
  return Object.keys(record.jobs).filter((name) => record.jobs[name]!.cleanup === 'kept' && record.jobs[name]!.executor !== 'host')
}

/** `kept until 2026-11-30 18:00:00`, or `kept` with no keep_for. */
function keptText(job: JobRecord): string {
  return job.keptUntil ? `kept until ${formatTime(job.keptUntil)}` : 'kept (until orca clean --kept)'
}

/** Artifact files listed per job by `orca show` unless all are asked for. */
export const LISTED_ARTIFACTS = 10

/**
 * `orca show`: the run, its jobs, a timeline, its artifacts and why jobs did not succeed. `artifacts`
 * holds what each job's manifest lists (read by the caller); the first LISTED_ARTIFACTS of each job
 * are shown, or every one with `allArtifacts`.
 */
export function formatRunDetails(
  record: RunRecord,
  options: {now?: number; width?: number; artifacts?: ReadonlyMap<string, readonly ArtifactEntry[]>; allArtifacts?: boolean} = {},
): string {
  const now = options.now ?? Date.now()
  const out: string[] = []
  const c = jobCounts(record)
  out.push(
    `run       ${record.id}`,
    `status    ${label(record.status)}`,
    `targets   ${record.targets.join(', ') || '(every job)'}`,
    `started   ${formatTime(record.startedAt)}${record.host ? ` on ${record.host}` : ''}`,
    `duration  ${runDuration(record, now)}`,
    `jobs      ${c.ok} ok, ${c.failed} failed, ${c.cached} cached, ${c.skipped} skipped`,
  )
  if (record.file) out.push(`file      ${record.file}`)
  if (record.error) out.push(`error     ${record.error.message}`)
  const names = Object.keys(record.jobs)
  if (names.length === 0) return out.join('\n') + '\n'

  out.push('')
  const rows = names.map((name) => {
    const job = record.jobs[name]!
    // A display name (a matrix expansion's values) follows the job name that `--job` and the log file use.
    const shown = [name, job.displayName, job.executor === 'host' ? '(host)' : undefined].filter(Boolean).join('  ')
    return [shown, label(job.status), job.durationMs === null ? '-' : formatDuration(job.durationMs), job.cache ?? '-', job.cleanup === 'kept' && job.keptUntil ? `kept until ${formatTime(job.keptUntil)}` : (job.cleanup ?? '-'), artifactSummary(job)]
  })
  out.push(table(['JOB', 'STATUS', 'DURATION', 'CACHE', 'CLEANUP', 'ARTIFACTS'], rows, [false, false, true, false, false, false]).trimEnd())

  out.push('', ...timelineLines(record, names, options.width ?? 80, now))

  const withArtifacts = names.filter((name) => (record.jobs[name]!.artifacts?.count ?? 0) > 0)
  if (withArtifacts.length > 0) out.push('', 'artifacts', ...artifactLines(record, withArtifacts, options.artifacts, options.allArtifacts === true))

  const kept = keptJobs(record)
  if (kept.length > 0) {
    out.push('', 'kept containers', ...kept.map((name) => `  ${name}: ${record.jobs[name]!.containerId?.slice(0, 12) ?? '?'} ${keptText(record.jobs[name]!)}; orca shell ${record.id} ${name} opens a shell in it`))
  }

  const warnings = names.flatMap((name) => record.jobs[name]!.warnings.map((w) => `  ${name}: ${w.message}`))
  if (warnings.length > 0) out.push('', 'warnings', ...warnings)

  const problems = names.map((name) => [name, problem(record.jobs[name]!, record.error?.message)] as const).filter(([, p]) => p !== undefined)
  if (problems.length > 0) out.push('', 'problems', ...problems.map(([name, p]) => `  ${name}: ${p}`))
  return out.join('\n') + '\n'
}

function timelineLines(record: RunRecord, names: string[], width: number, now: number): string[] {
  const nameWidth = Math.max(...names.map((n) => n.length))
  const barWidth = Math.max(10, width - nameWidth - 14)
  const layout = layoutTimeline(record, barWidth, now)
  const axisEnd = formatDuration(layout.totalMs)
  const lines = [`timeline  (█ ran, ░ cached, ▒ running; * critical path)`]
  lines.push(`${' '.repeat(nameWidth)}  0${' '.repeat(Math.max(1, barWidth + 1 - axisEnd.length))}${axisEnd}`)
  for (const bar of layout.bars) {
    const took = bar.startMs === undefined || bar.endMs === undefined ? '' : formatDuration(bar.endMs - bar.startMs)
    lines.push(`${bar.job.padEnd(nameWidth)}  │${barText(bar, barWidth)}│ ${took.padStart(6)}${bar.critical ? ' *' : ''}`.trimEnd())
  }
  return lines
}

function problem(job: JobRecord, runError: string | undefined): string | undefined {
  if (job.status === 'skipped') return `skipped: ${job.skippedReason ?? 'not run'}`
  if (job.status === 'succeeded' || job.status === 'cached' || job.status === 'pending' || job.status === 'running') return undefined
  // The run's own error is printed once, above.
  if (job.error) return job.error.message === runError ? 'could not run: see the error above' : job.error.message
  const step = job.steps.find((s) => s.status !== 'succeeded' && s.status !== 'skipped' && !s.allowFailure)
  if (step) return `step "${step.name}" ${label(step.status)}${step.exitCode === null ? '' : ` (exit ${step.exitCode})`}`
  return label(job.status)
}

function artifactSummary(job: JobRecord): string {
  if (job.artifacts === null || job.artifacts.count === 0) return '-'
  const {count, bytes} = job.artifacts
  return `${count.toLocaleString('en-US')} file${count === 1 ? '' : 's'}, ${formatBytes(bytes)}`
}

/** Per job: its summary and manifest, then its files (path, size, digest; links with their target). */
function artifactLines(record: RunRecord, names: string[], listed: ReadonlyMap<string, readonly ArtifactEntry[]> | undefined, all: boolean): string[] {
  const lines: string[] = []
  for (const name of names) {
    const job = record.jobs[name]!
    lines.push(`  ${name}  ${artifactSummary(job)}${job.artifacts?.manifest ? `  ${job.artifacts.manifest}` : ''}`)
    const entries = listed?.get(name) ?? []
    const shown = all ? entries : entries.slice(0, LISTED_ARTIFACTS)
    const rows = shown.map((e) => (e.type === 'file' ? [`    ${e.path}`, formatBytes(e.size), `sha256:${e.sha256.slice(0, 12)}`] : [`    ${e.path} -> ${e.target}`, '', 'link']))
    if (rows.length > 0) lines.push(table(null, rows, [false, true, false]).trimEnd())
    if (shown.length < entries.length) lines.push(`    … ${(entries.length - shown.length).toLocaleString('en-US')} more: orca show ${record.id} --artifacts`)
  }
  return lines
}

function label(status: string): string {
  return status
}

/** Columns padded to their widest cell; `right` aligns a column to the right. */
function table(header: string[] | null, rows: string[][], right: boolean[]): string {
  const all = header ? [header, ...rows] : rows
  const widths = all[0]!.map((_, i) => Math.max(...all.map((r) => r[i]!.length)))
  return all
    .map((r) => r.map((cell, i) => (right[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n') + '\n'
}
