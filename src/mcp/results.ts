import type {CallToolResult} from '@modelcontextprotocol/sdk/types.js'

import {ConfigError, formatDiagnostic, OrcaError} from '../engine/errors.js'
import type {Redactor} from './redact.js'

/** Longest text a tool's summary or a string field of its result carries; longer ones are cut with a marker. */
export const MAX_FIELD_CHARS = 4000

/** A tool's answer: the data (`structuredContent`, checked against the tool's output schema) and a short text for people and models that read text. */
export function toolResult(summary: string, data: Record<string, unknown>, redactor: Redactor): CallToolResult {
  return {content: [{type: 'text', text: redactor.text(summary)}], structuredContent: redactor.json(data)}
}

/** A tool call that failed: the message (and hint) as text, masked; diagnostics one a line with their positions. */
export function toolError(error: unknown, redactor: Redactor): CallToolResult {
  return {content: [{type: 'text', text: redactor.text(errorText(error))}], isError: true}
}

/** An error as a user of the CLI would read it, without a stack: what the agent needs to act on it. */
export function errorText(error: unknown): string {
  if (error instanceof ConfigError) {
    const shown = boundedList(error.diagnostics, 100)
    const lines = shown.items.map(formatDiagnostic)
    if (shown.omitted > 0) lines.push(`… and ${shown.omitted} more problem(s)`)
    return withHint(lines.join('\n'), error.hint)
  }
  if (error instanceof OrcaError) return withHint(`error: ${error.message}`, error.hint)
  const message = error instanceof Error ? error.message : String(error)
  return `orca: unexpected error: ${message}\nhint: this is a bug in orca; its stack is on orca mcp's stderr`
}

function withHint(text: string, hint: string | undefined): string {
  return hint ? `${text}\nhint: ${hint}` : text
}

/** The first `limit` items and how many were left out. */
export function boundedList<T>(items: readonly T[], limit: number, offset = 0): {items: T[]; total: number; omitted: number} {
  const shown = items.slice(offset, offset + limit)
  return {items: shown, total: items.length, omitted: items.length - shown.length}
}

/** A string of at most `max` characters; a longer one keeps its start and says how much was cut. */
export function boundedText(text: string, max = MAX_FIELD_CHARS): string {
  if (text.length <= max) return text
  const cut = text.length - max
  return `${text.slice(0, max)}… [orca: ${cut.toLocaleString('en-US')} more characters not shown]`
}

/** The keys of a table holding every value of a union, as the list `z.enum` takes. */
export function statesOf<T extends string>(table: Record<T, 0>): [T, ...T[]] {
  return Object.keys(table) as [T, ...T[]]
}
