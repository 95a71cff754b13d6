import type {ErrorObject} from 'ajv/dist/2020.js'

import type {Diagnostic} from '../errors.js'
import {DURATION_PATTERN} from '../duration.js'
import {IMAGE_REFERENCE_PATTERN, imageReferenceMessage, imageReferenceProblem} from './image-reference.js'
import {showValue} from './show-value.js'
import {SIZE_PATTERN} from '../bytes.js'
import type {NodePath, YamlSource} from './yaml-source.js'
import {formatPath, position, singleQuoted} from './yaml-source.js'

const NAME_PATTERN = '^[a-z0-9][a-z0-9_-]*$'

/** What a failed `pattern` means, in words. */
/** Patterns of schemas/jobs.schema.json's serviceName and hostname (a test checks they match). */
export const SERVICE_NAME_PATTERN = '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'
/** The pattern of schemas/jobs.schema.json's shell. */
export const SHELL_PATTERN = '^(?:sh|bash|[^\\n]*\\{0\\}[^\\n]*)$'
export const HOSTNAME_PATTERN = '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$'

const PATTERN_MEANING: Record<string, (got: string) => string> = {
  [DURATION_PATTERN]: (got) => `expected a duration like "10m", got ${got}`,
  [SIZE_PATTERN]: (got) => `expected a size like "512m" or "1g", got ${got}`,
  [NAME_PATTERN]: (got) => `expected a name of lowercase letters, digits, "-" and "_" starting with a letter or digit, got ${got}`,
  '^[A-Za-z_][A-Za-z0-9_]*$': (got) => `expected a variable name of letters, digits and "_" not starting with a digit, got ${got}`,
  '^[A-Za-z0-9][A-Za-z0-9_.-]*$': (got) => `expected a volume name of letters, digits, "_", "." and "-", got ${got}`,
  [SERVICE_NAME_PATTERN]: (got) => `expected a service name of lowercase letters, digits and "-" (a DNS label: at most 63, not starting or ending with "-"), got ${got}`,
  [HOSTNAME_PATTERN]: (got) => `expected a host name: DNS labels of lowercase letters, digits and "-" joined by ".", got ${got}`,
  '^/': (got) => `expected an absolute path (starting with "/"), got ${got}`,
  [SHELL_PATTERN]: (got) => `expected sh, bash or a command holding {0} (the path of the step's script), e.g. "python3 {0}"; got ${got}`,
}

/** Turns ajv errors into one positioned diagnostic per actual problem (oneOf noise and wrappers removed). */
export function schemaDiagnostics(errors: ErrorObject[], source: YamlSource | undefined, file: string): Diagnostic[] {
  const diagnostics: Diagnostic[] = []
  const seen = new Set<string>()
  for (const error of simplify(errors)) {
    const {path, on, message} = describe(error)
    const where = source ? position(source, path, on) : undefined
    const diagnostic: Diagnostic = {file, ...(where ?? {}), path: formatPath(path), message}
    const id = `${diagnostic.line}:${diagnostic.column}:${diagnostic.path}:${message}`
    if (seen.has(id)) continue
    seen.add(id)
    diagnostics.push(diagnostic)
  }
  return diagnostics.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0))
}

/** Drops oneOf branches the value's type rules out, and wrapper errors that have a more precise child. */
function simplify(errors: ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>()
  // Errors only relate to errors at or under their own path: compare within one job (or one top-level key),
  // so a file with thousands of broken jobs costs linear time, not quadratic.
  const buckets = new Map<string, ErrorObject[]>()
  for (const error of errors) {
    const key = bucketOf(error.instancePath)
    if (key === undefined) continue
    const bucket = buckets.get(key)
    if (bucket) bucket.push(error)
    else buckets.set(key, [error])
  }
  for (const error of errors) {
    if (error.keyword !== 'oneOf' && error.keyword !== 'anyOf') continue
    const key = bucketOf(error.instancePath)
    const related = key === undefined ? errors : (buckets.get(key) ?? [])
    const branchTypes: string[] = []
    const branchType = new RegExp(`^${escape(error.schemaPath)}/\\d+/type$`)
    for (const other of related) {
      // A branch that is a $ref reports its type under the referenced definition's path.
      if (other.instancePath === error.instancePath && (branchType.test(other.schemaPath) || (other.keyword === 'type' && other.schemaPath.startsWith('#/$defs/')))) {
        branchTypes.push(...[other.params.type as string | string[]].flat())
        dropped.add(other)
      }
    }
    const hasDetail = related.some(
      (other) => other !== error && !dropped.has(other) && isWithin(other.instancePath, error.instancePath) && (other.schemaPath.startsWith(`${error.schemaPath}/`) || other.schemaPath.startsWith('#/$defs/')),
    )
    const nested = related.some((other) => other !== error && !dropped.has(other) && other.instancePath.startsWith(`${error.instancePath}/`))
    // `- echo key: value` is YAML for a one-key mapping: say that, not which keys a step allows.
    const colon = branchTypes.includes('string') ? unquotedColon(error.data) : undefined
    if (colon !== undefined && related.some((o) => o.keyword === 'additionalProperties' && o.instancePath === error.instancePath && o.params.additionalProperty === colon.key)) {
      for (const other of related) if (other !== error && isWithin(other.instancePath, error.instancePath)) dropped.add(other)
      error.params = {...error.params, branchTypes, unquotedColon: colon.text}
      continue
    }
    if (hasDetail || nested) dropped.add(error)
    else error.params = {...error.params, branchTypes}
  }
  for (const error of errors) {
    // The inner error carries the offending property name (or, for if/then/else, what the value missed); the wrapper adds nothing.
    if (error.keyword === 'propertyNames' || error.keyword === 'if') dropped.add(error)
  }
  return errors.filter((error) => !dropped.has(error))
}

function describe(error: ErrorObject): {path: NodePath; on: 'value' | 'key'; message: string} {
  const path = parsePointer(error.instancePath)
  const propertyName = (error as ErrorObject & {propertyName?: string}).propertyName
  // Rendered only by the messages that show the value: an unknown-key error's data is the whole
  // mapping, and rendering a 10,000-key mapping once per each of its keys was quadratic.
  const got = (): string => showValue(error.data)
  // An image's pattern and length errors say the same thing, in the words of the reference grammar.
  if (error.parentSchema?.pattern === IMAGE_REFERENCE_PATTERN && typeof error.data === 'string') {
    const problem = imageReferenceProblem(error.data)
    if (problem !== undefined) return {path, on: 'value', message: imageReferenceMessage(error.data, problem)}
  }
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(error.params.additionalProperty)
      const allowed = Object.keys((error.parentSchema?.properties as object | undefined) ?? {})
      const suggestion = closest(key, allowed)
      // Top-level x- keys are free (anchors, templates): say so where they are allowed.
      const free = Object.keys((error.parentSchema?.patternProperties as object | undefined) ?? {}).includes('^x-') ? ', or a key starting with x-' : ''
      const hint = suggestion ? `; did you mean "${suggestion}"?` : allowed.length > 0 ? `; allowed: ${allowed.join(', ')}${free}` : ''
      return {path: [...path, key], on: 'key', message: `unknown key ${showValue(key)}${hint}`}
    }
    case 'required':
      return {path, on: path.length > 0 ? 'key' : 'value', message: `missing required key "${String(error.params.missingProperty)}"`}
    case 'pattern': {
      const meaning = PATTERN_MEANING[String(error.params.pattern)]
      if (propertyName !== undefined) {
        const text = meaning ? meaning(showValue(propertyName)) : `invalid name ${showValue(propertyName)}`
        return {path: [...path, propertyName], on: 'key', message: text}
      }
      return {path, on: 'value', message: meaning ? meaning(got()) : `expected text matching ${String(error.params.pattern)}, got ${got()}`}
    }
    case 'enum':
      return {path, on: 'value', message: `expected one of ${(error.params.allowedValues as unknown[]).map((value) => String(value)).join(', ')}; got ${got()}`}
    case 'const':
      if (path.length === 1 && path[0] === 'version') {
        return {path, on: 'value', message: `unsupported version ${got()}; this orca reads version ${showValue(error.params.allowedValue)}`}
      }
      return {path, on: 'value', message: `expected ${showValue(error.params.allowedValue)}, got ${got()}`}
    case 'type':
      return {path, on: 'value', message: `expected ${typeWords(error.params.type as string | string[])}, got ${typeOf(error.data)}`}
    case 'oneOf':
    case 'anyOf': {
      const types = (error.params.branchTypes as string[] | undefined) ?? []
      if (typeof error.params.unquotedColon === 'string') {
        return {path, on: 'value', message: `the ": " in it makes this a mapping, not text; quote it: ${singleQuoted(error.params.unquotedColon)}`}
      }
      if (types.length === 0) return {path, on: 'value', message: error.message ?? 'is invalid'}
      // `- true` or `- 42` as a step is YAML's boolean or number, not the shell command.
      const quote = types.includes('string') && ['boolean', 'number'].includes(typeof error.data) ? ` (quote it to mean the text: "${String(error.data)}")` : ''
      return {path, on: 'value', message: `expected ${typeWords(types)}, got ${typeOf(error.data)}${quote}`}
    }
    case 'minProperties':
      return {path, on: 'value', message: path.join('.') === 'jobs' ? 'expected at least one job' : `expected at least ${String(error.params.limit)} key(s)`}
    case 'minLength':
      return {path, on: 'value', message: 'must not be empty'}
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return {path, on: 'value', message: `${error.message ?? 'is out of range'}, got ${got()}`}
    default:
      return {path, on: 'value', message: error.message ?? 'is invalid'}
  }
}

/** `{"echo key": "value"}`, as YAML reads `echo key: value`: one key and a plain value; the text it came from. */
function unquotedColon(data: unknown): {key: string; text: string} | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined
  const entries = Object.entries(data)
  if (entries.length !== 1) return undefined
  const [key, value] = entries[0]!
  if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) return undefined
  return {key, text: value === null ? `${key}:` : `${key}: ${String(value)}`}
}

/** `/jobs/build/steps/1` → `['jobs', 'build', 'steps', 1]`; numeric segments are array indices only where ajv says so. */
function parsePointer(pointer: string): Array<string | number> {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((part) => (/^(0|[1-9][0-9]*)$/.test(part) ? Number(part) : part))
}

/** `/jobs/build` for any pointer at or under it; undefined for pointers above that depth (they may relate to anything). */
function bucketOf(pointer: string): string | undefined {
  const parts = pointer.split('/')
  return parts.length < 3 ? undefined : parts.slice(0, 3).join('/')
}

function isWithin(pointer: string, ancestor: string): boolean {
  return pointer === ancestor || pointer.startsWith(`${ancestor}/`)
}

const TYPE_WORDS: Record<string, string> = {object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', integer: 'an integer', boolean: 'a boolean'}

function typeWords(types: string | string[]): string {
  const list = [...new Set([types].flat().map((type) => TYPE_WORDS[type] ?? type))]
  if (list.length <= 1) return list[0] ?? 'a value'
  return `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`
}

function typeOf(value: unknown): string {
  if (value === null || value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  return showValue(value)
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** The allowed word nearest to a typo, if it is near enough to be the likely intent. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: {candidate: string; distance: number} | undefined
  for (const candidate of candidates) {
    // Lengths this far apart cannot be near enough (and a huge word would cost a huge table).
    if (Math.abs(word.length - candidate.length) > Math.max(1, Math.floor(candidate.length / 3))) continue
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase())
    if (distance <= Math.max(1, Math.floor(candidate.length / 3)) && (!best || distance < best.distance)) best = {candidate, distance}
  }
  return best?.candidate
}

/** Optimal string alignment distance: a swapped pair of letters counts as one edit. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({length: a.length + 1}, (_, i) => Array.from({length: b.length + 1}, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1)
      ;(d[i] as number[])[j] = best
    }
  }
  return at(a.length, b.length)
}
