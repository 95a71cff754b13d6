import type {InputsReport} from '../../engine/cache/explain-inputs.js'

const SOURCE: Record<InputsReport['source'], string> = {
  git: 'tracked by git, or untracked and not ignored by git',
  walk: 'files no .gitignore or .orcaignore ignores',
}

/** Plain text for `orca explain JOB --inputs / --why`. */
export function formatInputsReport(report: InputsReport): string {
  const lines: string[] = []
  if (report.inputs !== undefined) {
    const count = report.inputs.length
    lines.push(`${report.job}: ${count} input file${count === 1 ? '' : 's'} (${SOURCE[report.source]})`)
    for (const input of report.inputs) lines.push(`  ${input.path}${input.untracked ? '  (untracked)' : ''}`)
    if (report.leftOut!.length > 0) {
      lines.push(`  left out, orca's own: ${report.leftOut!.join(', ')} (a job gets them only when its inputs name them)`)
    }
  }
  for (const verdict of report.verdicts ?? []) lines.push(`${verdict.path}: ${verdict.why}`)
  return `${lines.join('\n')}\n`
}
