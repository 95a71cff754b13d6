import {formatBytes} from '../../engine/bytes.js'
import {shortKey} from '../../engine/cache/format.js'
import type {EntrySummary} from '../../engine/cache/maintenance.js'

/** The `orca cache ls` table. */
export function formatEntries(entries: EntrySummary[], cacheDir: string, maxBytes?: number): string {
  const total = entries.reduce((n, e) => n + e.size, 0)
  const bound = maxBytes === undefined ? 'no size bound (cache.maxSize)' : `bound ${formatBytes(maxBytes)}`
  const footer = `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, ${formatBytes(total)} in ${cacheDir}; ${bound}\n`
  if (entries.length === 0) return footer
  const rows = entries.map((e) => [shortKey(e.key), e.job ?? (e.volume !== undefined ? `volume ${e.volume}` : '(damaged)'), formatBytes(e.size), e.lastUsedAt, e.runId ?? '-'])
  const header = ['key', 'job', 'size', 'last used', 'run']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')
  return `${[line(header), ...rows.map(line)].join('\n')}\n${footer}`
}
