/** How one construct of the imported file came over. */
export type ImportStatus = 'translated' | 'approximated' | 'dropped'

/** One line of the import report: what, where in the original, how it came over and why. */
export interface ImportEntry {
  /** The construct, e.g. `uses: actions/setup-node@v4` or `rules`. */
  construct: string
  /** The original file and place (`file:line:col`), and the job it belongs to when it does. */
  file: string
  line?: number
  column?: number
  job?: string
  status: ImportStatus
  /** What it became, or why it could not. */
  note: string
}

export interface ImportReport {
  vendor: 'github' | 'gitlab'
  files: string[]
  entries: ImportEntry[]
  counts: Record<ImportStatus, number>
}

const ORDER: ImportStatus[] = ['dropped', 'approximated', 'translated']

/** The report as data, with its counts. */
export function buildReport(vendor: ImportReport['vendor'], files: string[], entries: ImportEntry[]): ImportReport {
  const counts = {translated: 0, approximated: 0, dropped: 0}
  for (const entry of entries) counts[entry.status]++
  return {vendor, files, entries, counts}
}

const where = (e: ImportEntry): string => (e.line === undefined ? e.file : `${e.file}:${e.line}:${e.column ?? 1}`)

/** The report for people: what was dropped first, then what was approximated, then what came over as it was. */
export function formatReport(report: ImportReport): string {
  const lines = [`import from ${report.vendor === 'github' ? 'GitHub Actions' : 'GitLab CI'} (${report.files.join(', ')}): ${report.counts.translated} translated, ${report.counts.approximated} approximated, ${report.counts.dropped} dropped`]
  for (const status of ORDER) {
    const entries = report.entries.filter((e) => e.status === status)
    if (entries.length === 0) continue
    lines.push('', `${status}:`)
    for (const e of entries) lines.push(`  ${where(e)} ${e.job === undefined ? '' : `${e.job}: `}${e.construct} — ${e.note}`)
  }
  return `${lines.join('\n')}\n`
}
