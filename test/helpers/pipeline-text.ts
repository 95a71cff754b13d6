import {ConfigError, formatDiagnostic} from '../../src/engine/errors.js'

/** A file's text from its lines, newline-terminated. */
export const lines = (...rows: string[]): string => `${rows.join('\n')}\n`

/** The diagnostics (`file:line:col: message`) with which `parse` rejects its input; fails the test when it accepts it. */
export function rejection(parse: () => unknown): string[] {
  try {
    parse()
  } catch (error) {
    if (error instanceof ConfigError) return error.diagnostics.map(formatDiagnostic)
    throw error
  }
  throw new Error('expected the pipeline to be rejected')
}
