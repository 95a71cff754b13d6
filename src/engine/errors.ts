/** Where a problem sits in a user's file: 1-based line and column. */
export interface SourcePosition {
  file: string
  line: number
  column: number
}

/** One problem found in a user's file, printed as `file:line:col path: message`. */
export interface Diagnostic {
  /** Display path of the file (relative to the working directory when possible). */
  file: string
  line?: number
  column?: number
  /** Dotted path of the offending key, e.g. `jobs.build.timeout`; empty for the document. */
  path: string
  message: string
}

export type ErrorKind = 'config' | 'usage' | 'infra' | 'cancelled' | 'internal'

/** How orca ended: an error's kind, or a run's outcome. */
export type ExitKind = ErrorKind | 'succeeded' | 'jobFailed'

/** orca's exit codes (docs/cli.md), the one table every exit goes through. */
const EXIT_CODES: Record<ExitKind, number> = {
  succeeded: 0,
  jobFailed: 1,
  internal: 1,
  config: 2,
  usage: 2,
  infra: 3,
  cancelled: 130,
}

export function exitCode(kind: ExitKind): number {
  return EXIT_CODES[kind]
}

/** The one error family of orca. `kind` decides the exit code; the message is for users. */
export class OrcaError extends Error {
  readonly kind: ErrorKind
  readonly hint?: string

  constructor(kind: ErrorKind, message: string, options: {cause?: unknown; hint?: string} = {}) {
    super(message, {cause: options.cause})
    this.name = 'OrcaError'
    this.kind = kind
    this.hint = options.hint
  }

  get exitCode(): number {
    return EXIT_CODES[this.kind]
  }
}

/** A user's file is wrong: carries every diagnostic found, not only the first. */
export class ConfigError extends OrcaError {
  readonly diagnostics: Diagnostic[]

  constructor(diagnostics: Diagnostic[], options: {cause?: unknown; hint?: string} = {}) {
    super('config', diagnostics.map(formatDiagnostic).join('\n'), options)
    this.name = 'ConfigError'
    this.diagnostics = diagnostics
  }
}

/** `jobs.yml:12:7 jobs.build.timeout: expected a duration like "10m", got "ten"` */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line === undefined ? d.file : `${d.file}:${d.line}:${d.column ?? 1}`
  return d.path ? `${where} ${d.path}: ${d.message}` : `${where}: ${d.message}`
}
