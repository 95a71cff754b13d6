import type {Diagnostic} from '../errors.js'
import {showValue} from './show-value.js'

export interface DotenvFile {
  /** Variables in the order they first appear; a later line of the same name wins. */
  values: Record<string, string>
  diagnostics: Diagnostic[]
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const DOUBLE_QUOTED_ESCAPES: Record<string, string> = {n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', $: '$'}

/**
 * Reads a dotenv file (docs/jobs-yml.md, Environment files): `NAME=value` lines, an optional
 * `export ` before the name, `#` comments, values bare (trimmed, a ` #` ends them), in single
 * quotes (taken as written, lines included) or in double quotes (`\n`, `\t`, `\"`, `\\` and `\$`
 * escapes, lines included). Nothing is expanded: `$HOME` stays `$HOME`.
 */
export function parseDotenv(text: string, file: string): DotenvFile {
  const values: Record<string, string> = Object.create(null) as Record<string, string>
  const diagnostics: Diagnostic[] = []
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1
    const problem = (column: number, message: string): number => diagnostics.push({file, line: lineNumber, column, path: '', message})
    const line = lines[index]!
    const trimmed = line.trimStart()
    if (trimmed === '' || trimmed.startsWith('#')) continue
    let column = line.length - trimmed.length + 1
    let rest = trimmed
    const exported = /^export\s+/.exec(rest)
    if (exported) {
      rest = rest.slice(exported[0].length)
      column += exported[0].length
    }
    const equals = rest.indexOf('=')
    if (equals === -1) {
      problem(column, `expected NAME=value, got ${showValue(rest.trimEnd())}`)
      continue
    }
    const name = rest.slice(0, equals).trimEnd()
    if (!NAME.test(name)) {
      problem(column, `expected a variable name of letters, digits and "_" not starting with a digit, got ${showValue(name)}`)
      continue
    }
    const afterEquals = rest.slice(equals + 1)
    const value = afterEquals.trimStart()
    const valueColumn = column + equals + 1 + (afterEquals.length - value.length)
    const quote = value[0]
    if (quote !== "'" && quote !== '"') {
      // A `#` after white space starts a comment; one inside a word (`a#b`) is part of the value.
      values[name] = value.replace(/(^|\s)#.*$/, '').trim()
      continue
    }
    const read = readQuoted(lines, index, valueColumn - 1, quote)
    if (read.error !== undefined) {
      diagnostics.push({file, line: lineNumber, column: valueColumn, path: '', message: read.error})
      index = read.lastLine
      continue
    }
    const after = lines[read.lastLine]!.slice(read.endColumn).trim()
    if (after !== '' && !after.startsWith('#')) {
      diagnostics.push({file, line: read.lastLine + 1, column: read.endColumn + 1, path: '', message: 'expected the end of the line (or a # comment) after the closing quote'})
    }
    values[name] = read.value
    index = read.lastLine
  }
  return {values, diagnostics}
}

/** A quoted value from `start` (the quote) on line `index`, perhaps over several lines. */
function readQuoted(lines: string[], index: number, start: number, quote: string): {value: string; lastLine: number; endColumn: number; error?: string} {
  let value = ''
  let line = index
  let at = start + 1
  for (;;) {
    const text = lines[line]!
    while (at < text.length) {
      const char = text[at]!
      if (char === quote) return {value, lastLine: line, endColumn: at + 1}
      if (char === '\\' && quote === '"' && at + 1 < text.length) {
        const next = text[at + 1]!
        value += DOUBLE_QUOTED_ESCAPES[next] ?? `\\${next}`
        at += 2
        continue
      }
      value += char
      at++
    }
    if (line + 1 >= lines.length) return {value, lastLine: line, endColumn: at, error: `the value's ${quote === '"' ? 'double' : 'single'} quote is never closed`}
    value += '\n'
    line++
    at = 0
  }
}
