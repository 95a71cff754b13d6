import {MATRIX_REFERENCE} from './matrix.js'

/** `${{ needs.JOB.outputs.NAME }}`'s inside: the need and the output. */
const OUTPUT_REFERENCE = /^\s*needs\.([a-z0-9][a-z0-9_-]*)\.outputs\.([A-Za-z_][A-Za-z0-9_-]*)\s*$/

/** One `${{ needs.JOB.outputs.NAME }}` in a text, at `offset`. */
export interface OutputReference {
  job: string
  output: string
  offset: number
}

/** True when a `${{ … }}`'s inside reads a need's output (left for the job's start, not interpolated at load). */
export function isOutputReference(inner: string): boolean {
  return OUTPUT_REFERENCE.test(inner)
}

/** Every `${{ needs.JOB.outputs.NAME }}` in `text`. */
export function outputReferences(text: string): OutputReference[] {
  const found: OutputReference[] = []
  for (const match of text.matchAll(MATRIX_REFERENCE)) {
    const parts = OUTPUT_REFERENCE.exec(match[1]!)
    if (parts) found.push({job: parts[1]!, output: parts[2]!, offset: match.index})
  }
  return found
}

/**
 * Replaces each `${{ needs.JOB.outputs.NAME }}` by the value the need handed on ('' when it wrote
 * none under that name); other text is left as it is.
 */
export function resolveOutputReferences(text: string, outputsOf: (job: string) => Readonly<Record<string, string>> | undefined): string {
  if (!text.includes('${{')) return text
  return text.replace(MATRIX_REFERENCE, (whole, inner: string) => {
    const parts = OUTPUT_REFERENCE.exec(inner)
    if (!parts) return whole
    const values = outputsOf(parts[1]!) ?? {}
    return Object.hasOwn(values, parts[2]!) ? values[parts[2]!]! : ''
  })
}
