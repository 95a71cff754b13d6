import {isScalar, visit} from 'yaml'

import type {Diagnostic} from '../engine/errors.js'
import {parseYaml} from '../engine/pipeline/yaml-source.js'

const HIDDEN = '…'

/**
 * Diagnostics as they may go over HTTP: file, position, key path and what was expected, never a value
 * of the file. A client may name a file that is not a pipeline at all (an `.env` read as YAML is one
 * long scalar), so every word or quoted text of a message that is one of the file's values (not one
 * of its keys) becomes `…`, what follows `got` is dropped, and a YAML syntax error keeps only its kind.
 */
export function publicDiagnostics(diagnostics: Diagnostic[], fileText: string | undefined): Diagnostic[] {
  const {keys, values} = keysAndValues(fileText)
  const isValue = (text: string): boolean => {
    if (text === '' || keys.has(text)) return false
    if (values.has(text)) return true
    // Long values are cut when quoted (`"abc...`), and a message may quote part of one.
    const stem = text.replace(/\.\.\.$/, '')
    return stem.length >= 4 && [...values].some((value) => value.length >= 4 && (value.includes(stem) || stem.includes(value)))
  }
  return diagnostics.map((d) => ({...d, message: publicMessage(d.message, isValue)}))
}

function publicMessage(message: string, isValue: (text: string) => boolean): string {
  if (message.startsWith('invalid YAML')) return 'invalid YAML syntax'
  if (message.startsWith('cannot read the document')) return 'cannot read the document'
  // `expected X, got <value>` (and `; got`, and the quoting hint after it): the value goes whole.
  const expected = message.replace(/[,;]?\s*\bgot\b[\s\S]*$/, '')
  let out = ''
  for (const token of expected.match(/"(?:[^"\\]|\\.)*(?:"|$)|[^\s",;:()[\]]+|[\s\S]/g) ?? []) {
    if (token.startsWith('"')) {
      const closed = token.length > 1 && token.endsWith('"')
      const content = closed ? unquote(token) : token.slice(1)
      out += isValue(content) ? `"${HIDDEN}"` : token
    } else {
      out += token.length > 1 || /\w/.test(token) ? (isValue(token) ? HIDDEN : token) : token
    }
  }
  return out.trim()
}

function unquote(token: string): string {
  try {
    return JSON.parse(token) as string
  } catch {
    return token.slice(1, -1)
  }
}

/** Every mapping key and every other scalar of the file, as text; nothing when it cannot be parsed. */
function keysAndValues(text: string | undefined): {keys: Set<string>; values: Set<string>} {
  const keys = new Set<string>()
  const values = new Set<string>()
  if (text === undefined) return {keys, values}
  const parsed = parseYaml(text, 'pipeline')
  if (parsed.source) {
    visit(parsed.source.doc, {
      Pair(_, pair) {
        if (isScalar(pair.key)) keys.add(String(pair.key.value))
      },
    })
    visit(parsed.source.doc, {
      Scalar(key, node) {
        if (key === 'key') return
        if (node.value !== null && node.value !== undefined) values.add(String(node.value))
        if (typeof node.source === 'string') values.add(node.source)
      },
    })
  }
  // Whatever the parser kept whole (a file that is one scalar) is a value too.
  if (typeof parsed.value === 'string') values.add(parsed.value)
  for (const key of keys) values.delete(key)
  return {keys, values}
}
