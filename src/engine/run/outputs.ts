import {nameTable} from '../name-table.js'
import type {JobWarning} from '../executor/types.js'

/** Where a job's outputs file is in its container (`$ORCA_OUTPUT`). */
export const OUTPUT_FILE = '/.orca/output'

/**
 * Reads an outputs file as GitHub Actions writes `$GITHUB_OUTPUT`: `NAME=value` lines, and
 * `NAME<<DELIMITER` … `DELIMITER` blocks for values of several lines. A later line for a name wins.
 * Lines that are neither (blank lines aside) are problems, as are names the job did not declare.
 */
export function parseOutputFile(text: string, declared: readonly string[]): {values: Record<string, string>; problems: string[]} {
  const values = nameTable<string>()
  const problems: string[] = []
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''))
  if (lines.at(-1) === '') lines.pop()
  const set = (name: string, value: string, line: number): void => {
    if (declared.includes(name)) values[name] = value
    else problems.push(`line ${line}: "${name}" is not among the job's outputs (${declared.map((d) => `"${d}"`).join(', ')})`)
  }
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!
    const heredoc = /^([A-Za-z_][A-Za-z0-9_-]*)<<(.+)$/.exec(line)
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, index + 1)
      if (end === -1) {
        problems.push(`line ${index + 1}: "${heredoc[1]}<<${heredoc[2]}" has no closing "${heredoc[2]}" line`)
        break
      }
      set(heredoc[1]!, lines.slice(index + 1, end).join('\n'), index + 1)
      index = end
      continue
    }
    const pair = /^([A-Za-z_][A-Za-z0-9_-]*)=(.*)$/.exec(line)
    if (pair) set(pair[1]!, pair[2]!, index + 1)
    else if (line.trim() !== '') problems.push(`line ${index + 1}: expected NAME=value or NAME<<DELIMITER`)
  }
  return {values, problems}
}

/**
 * The outputs of a job as its dependents get them: declared names only, and never one that holds a
 * secret's value (as GitHub Actions skips such an output): it would leave the job unmasked, in the
 * cache and in other jobs' environments.
 */
export function jobOutputs(text: string, declared: readonly string[], secrets: readonly string[]): {values: Record<string, string>; warnings: JobWarning[]} {
  const {values, problems} = parseOutputFile(text, declared)
  const warnings: JobWarning[] = problems.map((problem) => ({kind: 'output-invalid', message: `$ORCA_OUTPUT ${problem}`}))
  for (const [name, value] of Object.entries(values)) {
    if (secrets.some((secret) => secret.length > 0 && value.includes(secret))) {
      delete values[name]
      warnings.push({kind: 'output-secret', message: `output "${name}" holds a secret's value: it is not handed on`})
    }
  }
  return {values, warnings}
}

/** Each settled job's outputs in this run: what `${{ needs.JOB.outputs.NAME }}` and conditions read. */
export class RunOutputs {
  readonly #values = new Map<string, Readonly<Record<string, string>>>()

  set(job: string, values: Readonly<Record<string, string>>): void {
    this.#values.set(job, values)
  }

  get(job: string): Readonly<Record<string, string>> | undefined {
    return this.#values.get(job)
  }

  /** The outputs of the named needs, by need (for a condition). */
  of(needs: readonly string[]): Record<string, Readonly<Record<string, string>>> {
    const table = nameTable<Readonly<Record<string, string>>>()
    for (const need of needs) table[need] = this.#values.get(need) ?? {}
    return table
  }
}
