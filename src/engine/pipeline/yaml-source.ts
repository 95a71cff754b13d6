import {isMap, isScalar, isSeq, LineCounter, parseDocument} from 'yaml'
import type {Document, Node} from 'yaml'

import {formatBytes} from '../bytes.js'
import type {Diagnostic} from '../errors.js'
import {MAX_FILE_BYTES} from './source-file.js'
import {showValue, SHOWN_VALUE_MAX} from './show-value.js'
import {EXPANSION_LIMITS, expansionSize} from './yaml-expansion.js'

/** A key or index on the way from the document root to a node. */
export type NodePath = ReadonlyArray<string | number>

/** Far above any honest file, far below an alias bomb's expansion. */
export const MAX_ALIAS_COUNT = 1000

/** A parsed YAML (or JSON) file that can still say where each value came from. */
export interface YamlSource {
  file: string
  doc: Document.Parsed
  lineCounter: LineCounter
  /** Path of the document root inside `doc` (e.g. `['orca']` for package.json). */
  base: NodePath
  /** Where values that came from elsewhere (an included file, a template a job extends) are written; see position. */
  origins?: Origin
}

/**
 * Where the value at a path of composed data is written: in `source` at `path`, and below it as
 * `children` say (a key without a child of its own is at the same path below its parent's).
 */
export interface Origin {
  source: YamlSource
  path: NodePath
  children?: Map<string | number, Origin>
}

export interface ParsedYaml {
  source?: YamlSource
  value?: unknown
  diagnostics: Diagnostic[]
  /** True when the data could not be read at all; otherwise `value` is usable despite diagnostics. */
  fatal: boolean
  /** The values and text the document amounts to with its aliases expanded (counted against the limits given). */
  expanded?: {values: number; bytes: number}
}

/** Parses YAML into plain data, turning every parser failure (syntax, alias bomb, deep nesting) into diagnostics. */
export function parseYaml(text: string, file: string, base: NodePath = [], limits: {values: number; bytes: number} = EXPANSION_LIMITS): ParsedYaml {
  const bytes = Buffer.byteLength(text)
  if (bytes > MAX_FILE_BYTES) {
    return {fatal: true, diagnostics: [{file, path: '', message: `file is ${formatBytes(bytes)}; the limit is ${formatBytes(MAX_FILE_BYTES)}`}]}
  }
  const lineCounter = new LineCounter()
  let doc: Document.Parsed
  try {
    doc = parseDocument(text, {lineCounter, prettyErrors: false, uniqueKeys: false, merge: true})
  } catch (error) {
    return {fatal: true, diagnostics: [{file, path: '', message: parserFailure(error)}]}
  }
  const source: YamlSource = {file, doc, lineCounter, base}
  if (doc.errors.length > 0) {
    const diagnostics = doc.errors.map((error): Diagnostic => {
      const {line, col} = lineCounter.linePos(Math.max(0, error.pos[0]))
      return {file, line, column: col, path: '', message: syntaxMessage(error.message) + colonHint(error.code, text, error.pos[0])}
    })
    return {source, diagnostics, fatal: true}
  }
  let value: unknown
  let diagnostics: Diagnostic[]
  try {
    // Sized before it is built: an alias bomb is refused in time linear in the file, not in its expansion.
    const size = expansionSize(doc, limits)
    const tooLarge = size.problem
    if (tooLarge) {
      const where = tooLarge.offset === undefined ? {} : (({line, col}) => ({line, column: col}))(lineCounter.linePos(tooLarge.offset))
      return {source, fatal: true, diagnostics: [{file, ...where, path: '', message: tooLarge.message}]}
    }
    value = doc.toJS({maxAliasCount: MAX_ALIAS_COUNT})
    diagnostics = duplicateKeys(source)
    for (const key of base) value = (value as Record<string | number, unknown> | undefined)?.[key]
    return {source, value, diagnostics, fatal: false, expanded: {values: size.values, bytes: size.bytes}}
  } catch (error) {
    return {source, fatal: true, diagnostics: [{file, path: '', message: parserFailure(error)}]}
  }
}

/** The file and place of the value at `path` of (perhaps composed) data: see Origin, and locate. */
export function position(source: YamlSource, path: NodePath, on: 'value' | 'key' = 'value'): {file: string; line: number; column: number} {
  const {origin, rest} = originOf(source, path)
  return {file: origin.source.file, ...locate(origin.source, [...origin.path, ...rest], on)}
}

/** As locateInString, in the file the value at `path` comes from. */
export function positionInString(source: YamlSource, path: NodePath, offset: number): {file: string; line: number; column: number} {
  const {origin, rest} = originOf(source, path)
  return {file: origin.source.file, ...locateInString(origin.source, [...origin.path, ...rest], offset)}
}

/** The deepest origin on the way to `path`, and the part of the path below it. */
function originOf(source: YamlSource, path: NodePath): {origin: Origin; rest: NodePath} {
  let origin: Origin = source.origins ?? {source, path: []}
  let depth = 0
  for (const part of path) {
    const child = origin.children?.get(part)
    if (child === undefined) break
    origin = child
    depth++
  }
  return {origin, rest: path.slice(depth)}
}

/** Where the value at `path` starts (or, with `on: 'key'`, its key); falls back to the nearest ancestor. */
export function locate(source: YamlSource, path: NodePath, on: 'value' | 'key' = 'value'): {line: number; column: number} {
  const full = [...source.base, ...path]
  for (let length = full.length; length >= 0; length--) {
    const at = full.slice(0, length)
    const keyFirst = on === 'key' && length === full.length
    const offset = keyFirst ? (keyOffset(source.doc, at) ?? valueOffset(source.doc, at)) : (valueOffset(source.doc, at) ?? keyOffset(source.doc, at))
    if (offset !== undefined) {
      const {line, col} = source.lineCounter.linePos(offset)
      return {line, column: col}
    }
  }
  return {line: 1, column: 1}
}

/**
 * Where character `offset` of the string at `path` is, when the file holds that string verbatim on one
 * line (plain, or quoted without escapes); else where the value starts.
 */
export function locateInString(source: YamlSource, path: NodePath, offset: number): {line: number; column: number} {
  const node = source.doc.getIn([...source.base, ...path], true) as Node | null | undefined
  if (isScalar(node) && typeof node.value === 'string' && node.range) {
    const quote = node.type === 'PLAIN' ? 0 : node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE' ? 1 : undefined
    if (quote !== undefined && node.range[1] - node.range[0] === node.value.length + 2 * quote && !node.value.includes('\n')) {
      const {line, col} = source.lineCounter.linePos(node.range[0] + quote + offset)
      return {line, column: col}
    }
  }
  return locate(source, path)
}

/** `jobs.build.steps[1].timeout`; a key that is long or has control characters is shown quoted and cut, as in JSON. */
export function formatPath(path: NodePath): string {
  let text = ''
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`
    else if (part.length > SHOWN_VALUE_MAX || [...part].some((char) => char < ' ' || char === '\x7f')) text += `[${showValue(part)}]`
    else text += text ? `.${part}` : part
  }
  return text
}

function valueOffset(doc: Document.Parsed, path: NodePath): number | undefined {
  const node = (path.length === 0 ? doc.contents : doc.getIn(path, true)) as Node | null | undefined
  const range = node && typeof node === 'object' && 'range' in node ? node.range : undefined
  // An empty value (`build:`) has a zero-length range; its key is the better place to point.
  if (!range || (range[0] === range[1] && isScalar(node) && node.value === null)) return undefined
  return range[0]
}

function keyOffset(doc: Document.Parsed, path: NodePath): number | undefined {
  if (path.length === 0) return undefined
  const parent = (path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true)) as Node | null | undefined
  const last = path[path.length - 1]
  if (isMap(parent)) {
    const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(last))
    const key = pair?.key as Node | undefined
    return key?.range?.[0]
  }
  if (isSeq(parent) && typeof last === 'number') {
    const item = parent.items[last] as Node | undefined
    return item?.range?.[0]
  }
  return undefined
}

/** YAML allows repeated keys to silently overwrite each other; a repeated job name is almost always a mistake. */
function duplicateKeys(source: YamlSource): Diagnostic[] {
  const found: Diagnostic[] = []
  const visit = (node: unknown, path: Array<string | number>): void => {
    if (isMap(node)) {
      const seen = new Map<string, number>()
      for (const pair of node.items) {
        const key = pair.key as Node | null
        const name = isScalar(key) ? String(key.value) : undefined
        if (name !== undefined && key?.range) {
          const first = seen.get(name)
          if (first === undefined) {
            seen.set(name, key.range[0])
          } else {
            const firstLine = source.lineCounter.linePos(first).line
            const {line, col} = source.lineCounter.linePos(key.range[0])
            const what = path.length === 1 && path[0] === 'jobs' ? `duplicate job ${showValue(name)}` : `duplicate key ${showValue(name)}`
            found.push({file: source.file, line, column: col, path: formatPath([...path, name]), message: `${what} (first defined on line ${firstLine})`})
          }
        }
        visit(pair.value, name === undefined ? path : [...path, name])
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => visit(item, [...path, index]))
    }
  }
  visit(source.doc.contents, [])
  return found
}

function syntaxMessage(message: string): string {
  // The parser turns its own stack overflow on absurd nesting into a syntax error.
  if (/call stack/i.test(message)) return 'the document is nested too deeply to read'
  return `invalid YAML: ${message.replace(/\s+/g, ' ').trim()}`
}

/**
 * `run: echo a: b` is a syntax error (a mapping inside a compact one): the value needs quotes.
 * Suggests them around the line's value, e.g. `run: 'echo a: b'`.
 */
function colonHint(code: string, text: string, offset: number): string {
  if (code !== 'BLOCK_AS_IMPLICIT_KEY') return ''
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1
  const lineEnd = text.indexOf('\n', offset)
  const line = text.slice(lineStart, lineEnd === -1 ? undefined : lineEnd).trim().replace(/^(- +)+/, '')
  // A key-like first word is the key the user meant (`run: …`); otherwise the whole item is the text.
  const keyed = /^([A-Za-z_][\w-]*): +(.+)$/.exec(line)
  const suggestion = keyed ? `${keyed[1]}: ${singleQuoted(keyed[2]!)}` : singleQuoted(line)
  return `; a ": " inside a plain value starts a mapping: quote the value, e.g. ${suggestion}`
}

/** YAML's single-quoted form: only `'` needs escaping, by doubling it. */
export function singleQuoted(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}

function parserFailure(error: unknown): string {
  if (error instanceof RangeError) return 'the document is nested too deeply to read'
  if (error instanceof ReferenceError && /alias/i.test(error.message)) {
    return `too many YAML aliases (more than ${MAX_ALIAS_COUNT} expansions); is this an alias bomb?`
  }
  return `cannot read the document: ${error instanceof Error ? error.message : String(error)}`
}

