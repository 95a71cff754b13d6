import type {PreparedRun} from '../run/start-run.js'
import {shortKey} from './format.js'
import {openRunCache, projectFilesOf} from './open.js'
import {planKeys, type PlannedKey} from './plan-keys.js'

/** Keys every planned job without running anything; Docker is asked only for image IDs. */
export async function dryRunKeys(prepared: PreparedRun): Promise<PlannedKey[]> {
  const {config, pipeline, plan, request, imageId, signer} = prepared
  const projectFiles = projectFilesOf(config, pipeline)
  const cache = openRunCache({config, pipeline, projectFiles, envOverrides: request.envOverrides, noCache: request.noCache, signer})
  try {
    return await planKeys(plan, cache, imageId)
  } finally {
    cache.finish()
  }
}

/** The `orca run --dry-run` table: job, image, needs, key prefix, hit or miss, and why. */
export function formatDryRun(prepared: PreparedRun, rows: PlannedKey[]): string {
  const {plan} = prepared
  const table = rows.map((row) => {
    const job = plan.jobs.get(row.job)!
    return [
      row.job,
      job.steps.length === 0 ? '(group)' : job.image,
      job.needs.join(',') || '-',
      row.keyed ? shortKey(row.keyed.key) : '?',
      row.cache,
      row.why,
    ]
  })
  const header = ['job', 'image', 'needs', 'key', 'cache', 'why']
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)))
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  const hits = rows.filter((r) => r.cache === 'hit').length
  const count = `${rows.length} job${rows.length === 1 ? '' : 's'} planned: ${rows.length - hits} to run, ${hits} cached`
  return `${[line(header), ...table.map(line)].join('\n')}\n${count}; nothing was run (--dry-run)\n`
}
