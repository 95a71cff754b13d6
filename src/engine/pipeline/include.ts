import {createHash} from 'node:crypto'
import {readFileSync, realpathSync, statSync} from 'node:fs'
import * as path from 'node:path'

import type {Diagnostic} from '../errors.js'
import {formatBytes} from '../bytes.js'
import {nameTable} from '../name-table.js'
import {isMapping, resolveExtends, type Located} from './extends.js'
import {showValue} from './show-value.js'
import {isInside, MAX_FILE_BYTES} from './source-file.js'
import {EXPANSION_LIMITS} from './yaml-expansion.js'
import type {NodePath, Origin, ParsedYaml, YamlSource} from './yaml-source.js'
import {formatPath, parseYaml, position} from './yaml-source.js'

/** The most files one pipeline may be made of, itself included. */
export const MAX_INCLUDED_FILES = 256

// Made when needed: number formatting loads ICU's locale data, ≈ 15 ms of every run's start.
const pipelineTooLarge = (): string =>
  `the pipeline's files together hold more than ${EXPANSION_LIMITS.values.toLocaleString('en-US')} values or ${EXPANSION_LIMITS.bytes / 1024 / 1024} MiB of text (aliases expanded), the most orca reads`

/** Keys an included file may hold: pipeline-wide settings stay in the main file. */
const INCLUDED_FILE_KEYS = new Set(['version', 'include', 'jobs'])

/** What the loader gets for an included file: its text, or why it cannot be read (a sentence). */
export type IncludeRead = {text: string; realPath: string} | {problem: string}

/** Reads a file `include:` names, refusing what is not a file of the project (a link out of it included). */
export type IncludeReader = (absFile: string, projectDir: string) => IncludeRead

/** A file the pipeline is made of: which, and the digest of the text read (to tell when a stored parse is stale). */
export interface IncludedFile {
  file: string
  sha256: string
}

export interface ComposedPipeline {
  /** The main file's data with every included job joined into `jobs` and each job's `extends` applied. */
  value: unknown
  /** The main file's source, with origins that point into the file each value comes from. */
  source: YamlSource
  diagnostics: Diagnostic[]
  includes: IncludedFile[]
}

interface FileData {
  source: YamlSource
  value: Record<string, unknown>
}

/**
 * Joins the files `include:` names (recursively) to the main file and resolves `extends:`
 * (docs/jobs-yml.md, Includes and Extends). Include paths are relative to the including file and
 * never lead out of `projectDir`; a cycle, a missing file or a job defined twice is reported where it
 * is written; the YAML expansion limits count every file of the pipeline together.
 */
export function composePipeline(main: ParsedYaml & {source: YamlSource}, absFile: string, projectDir: string, read: IncludeReader = readIncludedFile): ComposedPipeline {
  const diagnostics: Diagnostic[] = []
  const report = (source: YamlSource, at: NodePath, message: string, on: 'value' | 'key' = 'value'): void => {
    diagnostics.push({...position(source, at, on), path: formatPath(at), message})
  }
  const files: FileData[] = []
  const includes: IncludedFile[] = []
  const budget = {values: EXPANSION_LIMITS.values - (main.expanded?.values ?? 0), bytes: EXPANSION_LIMITS.bytes - (main.expanded?.bytes ?? 0)}
  const seen = new Set<string>([safeRealPath(absFile)])
  const mainValue = isMapping(main.value) ? main.value : undefined

  // `chain`: the files from the main one to this one, to tell a cycle from a file included twice.
  const visit = (file: FileData, abs: string, chain: Array<{real: string; display: string}>): void => {
    files.push(file)
    const list = file.value.include
    // The schema judges the main file; an included one is judged here.
    if (file.source !== main.source && list !== undefined && !Array.isArray(list)) report(file.source, ['include'], 'expected a list of paths of YAML files')
    if (file.source !== main.source && file.value.version !== undefined && file.value.version !== 1) {
      report(file.source, ['version'], `unsupported version ${showValue(file.value.version)}; this orca reads version 1`)
    }
    if (!Array.isArray(list)) return
    list.forEach((entry, index) => {
      const at = ['include', index]
      // Shapes the schema refuses (not text, empty) are reported by it for the main file.
      if (typeof entry !== 'string' || entry === '') {
        if (file.source !== main.source) report(file.source, at, `expected the path of a YAML file, got ${showValue(entry)}`)
        return
      }
      if (path.isAbsolute(entry)) return report(file.source, at, `${showValue(entry)} is absolute; include paths are relative to the including file`)
      const target = path.resolve(path.dirname(abs), entry)
      if (!isInside(projectDir, target)) {
        return report(file.source, at, `${showValue(entry)} is outside the project; include only files of the project (the folder of the main jobs file)`)
      }
      const got = read(target, projectDir)
      if ('problem' in got) return report(file.source, at, `cannot include ${showValue(entry)}: ${got.problem}`)
      const display = path.join(path.dirname(file.source.file), entry)
      const cycle = chain.findIndex((link) => link.real === got.realPath)
      if (cycle !== -1) return report(file.source, at, `include cycle: ${[...chain.slice(cycle).map((link) => link.display), display].join(' -> ')}`)
      // Named twice (by two files, or twice in one list): its jobs join once.
      if (seen.has(got.realPath)) return
      seen.add(got.realPath)
      if (files.length >= MAX_INCLUDED_FILES) return report(file.source, at, `the pipeline is made of more than ${MAX_INCLUDED_FILES} files`)
      includes.push({file: target, sha256: createHash('sha256').update(got.text).digest('hex')})
      const parsed = parseYaml(got.text, display, [], {values: Math.max(0, budget.values), bytes: Math.max(0, budget.bytes)})
      // Within its own budget the file is told the remainder of the pipeline's: say the limit of the whole.
      const overBudget = (message: string): boolean => /^the document (holds|expands to) more than/.test(message)
      diagnostics.push(...parsed.diagnostics.map((d) => (parsed.fatal && overBudget(d.message) ? {...d, message: pipelineTooLarge()} : d)))
      if (parsed.fatal || !parsed.source) return
      budget.values -= parsed.expanded?.values ?? 0
      budget.bytes -= parsed.expanded?.bytes ?? 0
      if (parsed.value === null || parsed.value === undefined) return
      if (!isMapping(parsed.value)) return report(parsed.source, [], 'expected a mapping with jobs, x- keys and include')
      for (const key of Object.keys(parsed.value)) {
        if (!INCLUDED_FILE_KEYS.has(key) && !key.startsWith('x-')) {
          report(parsed.source, [key], `${showValue(key)} is not allowed in an included file: it holds jobs, include and x- keys (image, env and services belong to ${main.source.file})`, 'key')
        }
      }
      visit({source: parsed.source, value: parsed.value}, target, [...chain, {real: got.realPath, display}])
    })
  }
  if (mainValue) visit({source: main.source, value: mainValue}, absFile, [{real: safeRealPath(absFile), display: main.source.file}])

  // Every file's jobs and templates, by name, where they are written.
  const jobs = new Map<string, Located>()
  const templates = new Map<string, Located>()
  for (const file of files) {
    const own = (name: string, entry: Located, table: Map<string, Located>, what: string, at: NodePath): void => {
      const first = table.get(name)
      if (first) {
        const was = position(first.origin.source, first.origin.path, 'key')
        report(file.source, at, `${what} ${showValue(name)} is defined twice (first at ${was.file}:${was.line}:${was.column})`, 'key')
        return
      }
      table.set(name, entry)
    }
    for (const key of Object.keys(file.value)) {
      if (key.startsWith('x-')) own(key, {value: file.value[key], origin: {source: file.source, path: [key]}}, templates, 'template', [key])
    }
    const fileJobs = file.value.jobs
    if (file.source !== main.source && fileJobs !== undefined && fileJobs !== null && !isMapping(fileJobs)) report(file.source, ['jobs'], 'expected a mapping of jobs')
    if (!isMapping(fileJobs)) continue
    for (const [name, job] of Object.entries(fileJobs)) own(name, {value: job, origin: {source: file.source, path: ['jobs', name]}}, jobs, 'job', ['jobs', name])
  }
  const extended = resolveExtends(jobs, templates)
  diagnostics.push(...extended.diagnostics)

  const jobOrigins = new Map<string | number, Origin>()
  // Without a prototype: a job named __proto__ is a job like any other.
  const composedJobs = nameTable<unknown>()
  for (const [name, job] of extended.jobs) {
    composedJobs[name] = job.value
    jobOrigins.set(name, job.origin)
  }
  const rootOrigin: Origin = {source: main.source, path: [], children: new Map([['jobs', {source: main.source, path: ['jobs'], children: jobOrigins}]])}
  // The main file's jobs key stays as written when it is not a mapping, for the schema to report.
  const value = mainValue && (isMapping(mainValue.jobs) || (mainValue.jobs === undefined && jobs.size > 0)) ? {...mainValue, jobs: composedJobs} : main.value
  return {value, source: {...main.source, origins: rootOrigin}, diagnostics, includes}
}

/** Reads an included file of `projectDir`: a regular file, inside it once links are followed, at most 1 MiB. */
export function readIncludedFile(absFile: string, projectDir: string): IncludeRead {
  let real: string
  try {
    real = realpathSync(absFile)
  } catch {
    return {problem: 'no such file'}
  }
  if (!isInside(safeRealPath(projectDir), real)) return {problem: 'it leads out of the project through a symbolic link'}
  try {
    const info = statSync(real)
    if (!info.isFile()) return {problem: 'not a file'}
    if (info.size > MAX_FILE_BYTES) return {problem: `the file is ${formatBytes(info.size)}; the limit is ${formatBytes(MAX_FILE_BYTES)}`}
    return {text: readFileSync(real, 'utf8'), realPath: real}
  } catch (error) {
    return {problem: `cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`}
  }
}

function safeRealPath(file: string): string {
  try {
    return realpathSync(file)
  } catch {
    return path.resolve(file)
  }
}
