import {shortKey} from '../../engine/cache/format.js'
import {dockerJobLines} from '../../engine/pipeline/summary.js'
import {runsOnHost, type Job} from '../../engine/pipeline/types.js'
import type {PlannedKey} from '../../engine/cache/plan-keys.js'
import {jobInputFiles} from '../../engine/plan/inputs.js'
import type {ProjectFiles} from '../../engine/plan/project-files.js'
import type {PreparedRun} from '../../engine/run/start-run.js'

/** The `orca run --dry-run` table: job, image, needs, key prefix, hit or miss, and why; with `inputs` (the project's files), then each job's input files. */
export function formatDryRun(prepared: PreparedRun, rows: PlannedKey[], options: {inputs?: ProjectFiles} = {}): string {
  const {plan} = prepared
  // A matrix's expansions and conditions get a column each only when the pipeline has them.
  const named = rows.some((row) => plan.jobs.get(row.job)!.displayName !== undefined)
  const conditional = rows.some((row) => conditionOf(plan.jobs.get(row.job)!) !== '-')
  const table = rows.map((row) => {
    const job = plan.jobs.get(row.job)!
    return [
      row.job,
      ...(named ? [job.displayName ?? '-'] : []),
      job.steps.length === 0 ? '(group)' : runsOnHost(job) ? '(host)' : job.image,
      needsOf(job, prepared.pipeline.matrices) || '-',
      ...(conditional ? [conditionOf(job)] : []),
      row.keyed ? shortKey(row.keyed.key) : '?',
      row.source === 'remote' ? 'remote hit' : row.cache,
      row.why,
    ]
  })
  const header = ['job', ...(named ? ['name'] : []), 'image', 'needs', ...(conditional ? ['runs'] : []), 'key', 'cache', 'why']
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)))
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  const hits = rows.filter((r) => r.cache === 'hit').length
  const remote = rows.filter((r) => r.source === 'remote').length
  const count = `${rows.length} job${rows.length === 1 ? '' : 's'} planned: ${rows.length - hits} to run, ${hits} cached${remote > 0 ? ` (${remote} in the remote cache)` : ''}`
  const docker = dockerJobLines(rows.map((row) => plan.jobs.get(row.job)!)).map((warning) => `${warning}\n`)
  const text = `${[line(header), ...table.map(line)].join('\n')}\n${count}; nothing was run (--dry-run)\n${docker.join('')}`
  return options.inputs ? text + formatInputs(prepared, rows, options.inputs) : text
}

/** Needs, with every expansion of a matrix written as the matrix: `build,test[4]`. */
function needsOf(job: Job, matrices: Record<string, string[]> | undefined): string {
  const needs = new Set(job.needs)
  const parts: string[] = []
  for (const [matrix, ids] of Object.entries(matrices ?? {})) {
    if (ids.length > 1 && ids.every((id) => needs.has(id))) {
      for (const id of ids) needs.delete(id)
      parts.push(`${matrix}[${ids.length}]`)
    }
  }
  return [...job.needs.filter((n) => needs.has(n)), ...parts].join(',')
}

/** `when` and `if` in a cell: `always`, `if needs.test.result == 'failure'`, or `-`. */
function conditionOf(job: Job): string {
  const parts = [...(job.when ? [job.when] : []), ...(job.condition ? [`if ${job.condition.source}`] : [])]
  return parts.join(', ') || '-'
}

/** Each job's input files, as hashed for its key (untracked ones marked). */
function formatInputs(prepared: PreparedRun, rows: PlannedKey[], project: ProjectFiles): string {
  const untracked = new Set(project.untracked)
  const lines: string[] = []
  for (const row of rows) {
    const job = prepared.plan.jobs.get(row.job)!
    if (job.steps.length === 0) continue
    // A job whose key is not known yet was not hashed: its selection is what it would get.
    const files = row.keyed ? row.keyed.inputs.map((i) => i.path) : jobInputFiles(project, job)
    lines.push('', `${row.job}: ${files.length} input file${files.length === 1 ? '' : 's'}`)
    for (const file of files) lines.push(`  ${file}${untracked.has(file) ? '  (untracked)' : ''}`)
  }
  return `${lines.join('\n')}\n`
}
