import {readFileSync, statSync} from 'node:fs'

import {isMap, isScalar, isSeq, visit} from 'yaml'
import type {Node, Pair} from 'yaml'

import {ConfigError} from '../errors.js'
import {MAX_FILE_BYTES} from '../pipeline/source-file.js'
import {locate, MAX_ALIAS_COUNT, parseYaml, type NodePath, type YamlSource} from '../pipeline/yaml-source.js'
import type {ImportEntry, ImportStatus} from './report.js'

/** GitLab's `!reference [.job, key]` as it stands in the data until it is resolved. */
export const REFERENCE = '$orca-import-reference'

/** One CI file read for import: its data, and where each value and comment of it is written. */
export interface CiFile {
  /** The path as the user gave it (shown in the report and in errors). */
  file: string
  data: Record<string, unknown>
  source: YamlSource
  /** Problems YAML lets pass that the CI reads one way (a repeated key: the last wins). */
  warnings: ImportEntry[]
}

/** Reads and parses a CI file; an unreadable or malformed one is a ConfigError at its line and column (exit 2). */
export function readCiFile(file: string, absFile: string): CiFile {
  let text: string
  try {
    const size = statSync(absFile).size
    if (size > MAX_FILE_BYTES) throw new ConfigError([{file, path: '', message: `file is ${(size / 1024 / 1024).toFixed(1)} MiB; the limit is 1.0 MiB`}])
    text = readFileSync(absFile, 'utf8')
  } catch (error) {
    if (error instanceof ConfigError) throw error
    throw new ConfigError([{file, path: '', message: (error as NodeJS.ErrnoException).code === 'EISDIR' ? 'is a folder, not a file' : 'cannot read the file (no such file?)'}], {cause: error})
  }
  return parseCiText(text, file)
}

/** The core of readCiFile: text in, data with positions out. */
export function parseCiText(text: string, file: string): CiFile {
  const parsed = parseYaml(text, file)
  if (parsed.fatal || !parsed.source) throw new ConfigError(parsed.diagnostics)
  const {source} = parsed
  // `!reference [.setup, script]` is GitLab's; YAML keeps it as a tagged list, which would read as commands.
  let references = 0
  visit(source.doc, {
    Seq(_, node) {
      if (node.tag !== '!reference') return undefined
      references++
      return source.doc.createNode({[REFERENCE]: node.toJSON()})
    },
  })
  let data: unknown
  try {
    data = references === 0 ? parsed.value : source.doc.toJS({maxAliasCount: MAX_ALIAS_COUNT})
  } catch (error) {
    throw new ConfigError([{file, path: '', message: `cannot read the document: ${(error as Error).message}`}], {cause: error})
  }
  if (data === null || data === undefined) throw new ConfigError([{file, line: 1, column: 1, path: '', message: 'the file is empty'}])
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([{file, line: 1, column: 1, path: '', message: 'expected a mapping of keys (a CI file), got ' + (Array.isArray(data) ? 'a list' : typeof data)}])
  }
  const warnings = parsed.diagnostics.map((d): ImportEntry => ({construct: 'repeated key', file, line: d.line, column: d.column, status: 'approximated', note: `${d.path}: ${d.message}; the last one is used, as the CI does`}))
  return {file, data: data as Record<string, unknown>, source, warnings}
}

/** Where a value of the file is written (its key with `on: 'key'`), for report entries. */
export function placeOf(ci: CiFile, path: NodePath, on: 'value' | 'key' = 'key'): {file: string; line?: number; column?: number} {
  try {
    const {line, column} = locate(ci.source, path, on)
    return {file: ci.file, line, column}
  } catch {
    return {file: ci.file}
  }
}

/** Makes report entries of one file and (optionally) one job. */
export function entryMaker(ci: CiFile, entries: ImportEntry[]) {
  return (path: NodePath, construct: string, status: ImportStatus, note: string, job?: string): void => {
    entries.push({construct, ...placeOf(ci, path), ...(job === undefined ? {} : {job}), status, note})
  }
}

const cleanComment = (text: string | null | undefined): string | undefined => {
  const trimmed = text?.replace(/^\n+|\n+$/g, '')
  return trimmed ? trimmed : undefined
}

/** The comment written above the key at `path` (a job's, a variable's), as the YAML library keeps it. */
export function commentAbove(ci: CiFile, path: NodePath): string | undefined {
  const parent = (path.length === 1 ? ci.source.doc.contents : ci.source.doc.getIn(path.slice(0, -1), true)) as Node | null | undefined
  const last = path[path.length - 1]
  if (isMap(parent)) {
    const pair = parent.items.find((item: Pair) => isScalar(item.key) && String(item.key.value) === String(last))
    const key = pair?.key as Node | undefined
    const inMap = parent.items[0] === pair ? (parent.commentBefore ?? undefined) : undefined
    return cleanComment(key?.commentBefore ?? inMap ?? (path.length === 1 && parent.items[0] === pair ? ci.source.doc.commentBefore : undefined))
  }
  if (isSeq(parent) && typeof last === 'number') {
    const item = parent.items[last] as Node | undefined
    return cleanComment(item?.commentBefore ?? (last === 0 ? parent.commentBefore : undefined))
  }
  return undefined
}

/** The comment at the end of a scalar's line (`- npm test  # slow`). */
export function commentBeside(ci: CiFile, path: NodePath): string | undefined {
  const node = ci.source.doc.getIn(path, true) as Node | undefined
  return cleanComment(node?.comment)
}
