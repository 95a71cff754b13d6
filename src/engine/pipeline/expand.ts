import type {Diagnostic} from '../errors.js'
import {nameTable} from '../name-table.js'
import {costlyGlob} from './glob-bounds.js'
import {checkExpression, ExpressionError, outputProblem, parseExpression, unwrapExpression, decidesOnNeeds, type Expression} from './expression.js'
import {expandMatrixJob, interpolateMatrix, MATRIX_REFERENCE, type Expansion, type MatrixDefinition, type MatrixScalar} from './matrix.js'
import {isOutputReference, outputReferences} from './output-references.js'
import {artifactGlobsPath, needNames, type RawJob} from './raw.js'
import {unstorableGlob} from './checks.js'
import type {NodePath, YamlSource} from './yaml-source.js'
import {formatPath, position, positionInString} from './yaml-source.js'

/** A job of the pipeline after matrix expansion: an ordinary job, still raw, that knows where it came from. */
export interface ExpandedJob {
  /** Its name in the pipeline: the job's own, or an expansion's id. */
  id: string
  /** The job as written in jobs.yml. */
  origin: string
  raw: RawJob
  /** Set for an expansion of a matrix job. */
  expansion?: Expansion
  /** Display name: an expansion's, or a job's `name:`. */
  displayName?: string
  /** The parsed `if:`; undefined when the job has none. */
  condition?: {source: string; expression: Expression}
}

export interface ExpandedJobs {
  jobs: ExpandedJob[]
  /** Matrix job name → the ids of its expansions, in order. */
  groups: Map<string, string[]>
  diagnostics: Diagnostic[]
  /** Each expansion's raw job with its interpolated values, to validate against the job schema. */
  interpolated: Array<{id: string; origin: string; job: Record<string, unknown>}>
}

/** Keys that are not interpolated: they describe the expansion itself, or are read as they are written. */
const NOT_INTERPOLATED = new Set(['matrix', 'id', 'name', 'if', 'needs', 'when', 'max-parallel'])

/**
 * Expands every matrix job of a parsed jobs.yml into its combinations and checks the keys that go with
 * expansion and conditions (`matrix`, `id`, `name`, `max-parallel`, `if`, `when`). Reads only the parts
 * whose shape is right, so it runs even after schema errors, like the other semantic checks.
 */
export function expandJobs(data: unknown, source: YamlSource): ExpandedJobs {
  const diagnostics: Diagnostic[] = []
  const report = (at: NodePath, message: string, on: 'value' | 'key' = 'value'): void => {
    diagnostics.push({...position(source, at, on), path: formatPath(at), message})
  }
  const reportAt = (at: NodePath, offset: number, message: string): void => {
    diagnostics.push({...positionInString(source, at, offset), path: formatPath(at), message})
  }
  const root = isRecord(data) ? data : {}
  const rawJobs = isRecord(root.jobs) ? root.jobs : {}
  const jobs: ExpandedJob[] = []
  const groups = new Map<string, string[]>()
  const interpolated: ExpandedJobs['interpolated'] = []
  const owner = new Map<string, string>(Object.keys(rawJobs).map((name) => [name, name]))

  const outputs = declaredOutputs(rawJobs)
  for (const [name, job] of Object.entries(rawJobs)) {
    if (!isRecord(job)) continue
    const condition = readCondition(name, job, outputs, reportAt, report)
    checkOutputReferences(name, job, outputs, reportAt)
    const matrix = isRecord(job.matrix) ? readMatrix(job.matrix) : undefined
    if (matrix === undefined) {
      if (job.matrix === undefined) {
        for (const key of ['id', 'max-parallel'] as const) {
          if (job[key] !== undefined) report(['jobs', name, key], `"${key}" goes with "matrix"; this job has none`, 'key')
        }
        for (const [at, offset] of matrixReferences(job, [])) reportAt(['jobs', name, ...at], offset, 'the job has no matrix, so it cannot use ${{ matrix.… }}')
      }
      const displayName = typeof job.name === 'string' ? job.name : undefined
      jobs.push({id: name, origin: name, raw: job as RawJob, ...(displayName ? {displayName} : {}), ...(condition ? {condition} : {})})
      continue
    }
    const templates = {...(typeof job.id === 'string' ? {id: job.id} : {}), ...(typeof job.name === 'string' ? {name: job.name} : {})}
    const {expansions, problems} = expandMatrixJob(name, matrix, templates)
    for (const problem of problems) {
      if (problem.key === 'matrix') report(['jobs', name, 'matrix', ...problem.at], problem.message, problem.at.length === 0 ? 'key' : (problem.on ?? 'value'))
      else reportAt(['jobs', name, problem.key], problem.offset ?? 0, problem.message)
    }
    const variables = new Set(expansions.flatMap((e) => Object.keys(e.values)))
    const reported = new Set<string>()
    const reportOnce = (at: NodePath, offset: number, message: string): void => {
      const id = `${formatPath(at)}:${offset}:${message}`
      if (reported.has(id)) return
      reported.add(id)
      reportAt(['jobs', name, ...at], offset, message)
    }
    // A matrix that does not expand still has its references checked, against the names it gives.
    if (expansions.length === 0) interpolateJob(job, {}, matrixVariables(job.matrix as Record<string, unknown>), reportOnce)
    const ids: string[] = []
    for (const expansion of expansions) {
      const clash = owner.get(expansion.id)
      if (clash !== undefined) {
        const other = clash === expansion.id ? `the job "${clash}"` : `an expansion of "${clash}"`
        report(['jobs', name, 'matrix'], `the combination ${expansion.displayName} gets the id "${expansion.id}", the name of ${other}; set "id" to a template that tells them apart`, 'key')
        continue
      }
      owner.set(expansion.id, name)
      const copy = interpolateJob(job, expansion.values, variables, reportOnce)
      const globLists: Array<[Array<string | number>, string, string]> = [
        [['inputs'], 'the project directory', 'input'],
        [artifactGlobsPath(job.artifacts), 'the workdir', 'artifact'],
        [['reports', 'junit'], 'the workdir', 'report'],
      ]
      for (const [at, base, what] of globLists) {
        const written = valueAt(job, at)
        stringItems(valueAt(copy, at)).forEach(([index, glob]) => {
          const template = Array.isArray(written) ? written[index] : undefined
          if (typeof template !== 'string' || !template.includes('${{')) return
          const problem = unstorableGlob(glob, base) ?? costlyGlob(glob)
          if (problem) report(['jobs', name, ...at, index], `${what} ${problem} (in ${expansion.id})`)
        })
      }
      interpolated.push({id: expansion.id, origin: name, job: copy})
      ids.push(expansion.id)
      jobs.push({id: expansion.id, origin: name, raw: copy as RawJob, expansion, displayName: expansion.displayName, ...(condition ? {condition} : {})})
    }
    groups.set(name, ids)
  }
  return {jobs, groups, diagnostics, interpolated}
}

/** The list variables, include and exclude of a `matrix:` whose shape is right; undefined otherwise (the schema says why). */
function readMatrix(matrix: Record<string, unknown>): MatrixDefinition | undefined {
  const axes: MatrixDefinition['axes'] = []
  for (const [name, values] of Object.entries(matrix)) {
    if (name === 'include' || name === 'exclude') continue
    if (!Array.isArray(values) || !values.every(isScalar)) return undefined
    axes.push([name, values])
  }
  const entries = (list: unknown): Array<Record<string, MatrixScalar>> | undefined => {
    if (list === undefined) return []
    if (!Array.isArray(list) || !list.every((entry) => isRecord(entry) && Object.values(entry).every(isScalar))) return undefined
    return list as Array<Record<string, MatrixScalar>>
  }
  const include = entries(matrix.include)
  const exclude = entries(matrix.exclude)
  if (include === undefined || exclude === undefined) return undefined
  return {axes, include, exclude}
}

/** Parses and checks `if:` (and how `when:` goes with it). */
function readCondition(
  name: string,
  job: Record<string, unknown>,
  outputs: ReadonlyMap<string, ReadonlySet<string> | 'matrix'>,
  reportAt: (at: NodePath, offset: number, message: string) => void,
  report: (at: NodePath, message: string, on?: 'value' | 'key') => void,
): ExpandedJob['condition'] {
  const needs = new Set(needNames(job.needs))
  if (job.when === 'on_failure' && needs.size === 0) {
    report(['jobs', name, 'when'], 'when: on_failure runs a job after a job it needs failed; this job needs none')
  }
  const written = job.if
  if (typeof written !== 'string' && typeof written !== 'boolean') return undefined
  const text = String(written)
  const {text: inner, offset} = typeof written === 'string' ? unwrapExpression(text) : {text, offset: 0}
  let expression: Expression
  try {
    expression = parseExpression(inner)
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error
    reportAt(['jobs', name, 'if'], offset + error.offset, `invalid expression: ${error.message}`)
    return undefined
  }
  const matrix = isRecord(job.matrix) ? matrixVariables(job.matrix) : undefined
  const problems = checkExpression(expression, {matrix, needs, outputs})
  for (const problem of problems) reportAt(['jobs', name, 'if'], offset + problem.offset, problem.message)
  if (problems.length > 0) return undefined
  if (job.when !== undefined && decidesOnNeeds(expression)) {
    report(['jobs', name, 'when'], '"when" and an "if" that reads needs.JOB.result or calls success(), failure(), always() or cancelled() both decide on the needs\' states; keep one', 'key')
  }
  // Evaluated when the job (each expansion, with its own values) becomes ready.
  return {source: text, expression}
}

/**
 * The outputs each job declares. A matrix job's are its expansions' own, not one set: a need naming
 * one expansion reads that expansion's (its ids are worked out here too, before the jobs are).
 */
function declaredOutputs(rawJobs: Record<string, unknown>): Map<string, ReadonlySet<string> | 'matrix'> {
  const outputs = new Map<string, ReadonlySet<string> | 'matrix'>()
  for (const [name, job] of Object.entries(rawJobs)) {
    if (!isRecord(job)) continue
    const declared = new Set(Array.isArray(job.outputs) ? job.outputs.filter((o): o is string => typeof o === 'string') : [])
    const matrix = isRecord(job.matrix) ? readMatrix(job.matrix) : undefined
    if (job.matrix === undefined) {
      outputs.set(name, declared)
      continue
    }
    outputs.set(name, 'matrix')
    if (matrix === undefined || declared.size === 0) continue
    const templates = {...(typeof job.id === 'string' ? {id: job.id} : {}), ...(typeof job.name === 'string' ? {name: job.name} : {})}
    for (const expansion of expandMatrixJob(name, matrix, templates).expansions) if (!outputs.has(expansion.id)) outputs.set(expansion.id, declared)
  }
  return outputs
}

/**
 * `${{ needs.JOB.outputs.NAME }}` is read in env values only (the job's and its steps'), where a value
 * reaches a command as a variable and never as shell text; the need must be the job's and declare the output.
 */
function checkOutputReferences(
  name: string,
  job: Record<string, unknown>,
  outputs: ReadonlyMap<string, ReadonlySet<string> | 'matrix'>,
  reportAt: (at: NodePath, offset: number, message: string) => void,
): void {
  const needs = new Set(needNames(job.needs))
  const stack: Array<{value: unknown; at: Array<string | number>}> = Object.entries(job)
    .filter(([key]) => !NOT_INTERPOLATED.has(key))
    .map(([key, value]) => ({value, at: [key]}))
  while (stack.length > 0) {
    const {value, at} = stack.pop()!
    if (Array.isArray(value)) value.forEach((item, index) => stack.push({value: item, at: [...at, index]}))
    else if (isRecord(value)) for (const [key, item] of Object.entries(value)) stack.push({value: item, at: [...at, key]})
    if (typeof value !== 'string') continue
    const inEnv = (at.length === 2 && at[0] === 'env') || (at.length === 4 && at[0] === 'steps' && at[2] === 'env')
    for (const reference of outputReferences(value)) {
      const shown = `needs.${reference.job}.outputs.${reference.output}`
      const problem = !inEnv
        ? `\${{ ${shown} }} can be used in env values only (the job's or a step's): pass it to commands as a variable, e.g. env: {VALUE: "\${{ ${shown} }}"} and "$VALUE"`
        : !needs.has(reference.job)
          ? `"${reference.job}" is not in the job's needs${needs.size > 0 ? ` (${[...needs].map((n) => `"${n}"`).join(', ')})` : ''}`
          : outputProblem(reference.job, reference.output, outputs.get(reference.job))
      if (problem) reportAt(['jobs', name, ...at], reference.offset, problem)
    }
  }
}

function valueAt(value: unknown, at: ReadonlyArray<string | number>): unknown {
  let node = value
  for (const part of at) node = isRecord(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[part] : undefined
  return node
}

function matrixVariables(matrix: Record<string, unknown>): Set<string> {
  const names = new Set(Object.keys(matrix).filter((key) => key !== 'include' && key !== 'exclude'))
  // Include may add variables; exclude can only name the listed ones.
  const include = matrix.include
  if (Array.isArray(include)) for (const entry of include) if (isRecord(entry)) for (const name of Object.keys(entry)) names.add(name)
  return names
}

/** A deep copy of a matrix job with `${{ matrix.NAME }}` replaced in every string value (keys and NOT_INTERPOLATED stay). */
function interpolateJob(
  job: Record<string, unknown>,
  values: Readonly<Record<string, string>>,
  variables: ReadonlySet<string>,
  problem: (at: NodePath, offset: number, message: string) => void,
): Record<string, unknown> {
  const copy = (value: unknown, at: Array<string | number>): unknown => {
    if (typeof value === 'string') {
      if (!value.includes('${{')) return value
      const result = interpolateMatrix(value, values, variables, undefined, isOutputReference)
      for (const p of result.problems) problem(at, p.offset, p.message)
      return result.text
    }
    if (Array.isArray(value)) return value.map((item, index) => copy(item, [...at, index]))
    if (isRecord(value)) return nameTable(Object.fromEntries(Object.entries(value).map(([key, item]) => [key, copy(item, [...at, key])])))
    return value
  }
  const result = nameTable<unknown>()
  for (const [key, value] of Object.entries(job)) result[key] = NOT_INTERPOLATED.has(key) ? value : copy(value, [key])
  return result
}

/** Where a job that has no matrix uses `${{ matrix.… }}` (other `${{ … }}` text is left alone there, as before matrices existed). */
function matrixReferences(value: unknown, at: Array<string | number>): Array<[Array<string | number>, number]> {
  if (typeof value === 'string') {
    const found: Array<[Array<string | number>, number]> = []
    for (const match of value.matchAll(MATRIX_REFERENCE)) if (/^\s*matrix\./.test(match[1]!)) found.push([at, match.index])
    return found
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => matrixReferences(item, [...at, index]))
  if (isRecord(value)) return Object.entries(value).flatMap(([key, item]) => (at.length === 0 && key === 'if' ? [] : matrixReferences(item, [...at, key])))
  return []
}

/** True when the raw value at `path` (below a job) is interpolated and holds `${{`: a schema error there is judged on the expansions. */
export function holdsTemplate(value: unknown, path: ReadonlyArray<string | number>): boolean {
  if (path.length === 0 || NOT_INTERPOLATED.has(String(path[0]))) return false
  let node = value
  for (const part of path) {
    if (!isRecord(node) && !Array.isArray(node)) return false
    node = (node as Record<string | number, unknown>)[part]
  }
  const stack = [node]
  while (stack.length > 0) {
    const item = stack.pop()
    if (typeof item === 'string' && item.includes('${{')) return true
    if (Array.isArray(item)) stack.push(...(item as unknown[]))
    else if (isRecord(item)) stack.push(...Object.values(item))
  }
  return false
}

function stringItems(list: unknown): Array<[number, string]> {
  if (!Array.isArray(list)) return []
  return list.flatMap((item, index): Array<[number, string]> => (typeof item === 'string' ? [[index, item]] : []))
}

function isScalar(value: unknown): value is MatrixScalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
