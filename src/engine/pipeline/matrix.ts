import {nameTable} from '../name-table.js'

/**
 * A job's `matrix:` expanded into its combinations, with GitHub Actions' rules
 * (docs.github.com, "Running variations of jobs in a workflow"):
 * - the variables given as lists are combined, the first variable varying slowest;
 * - each `exclude` entry removes every combination it matches (a partial match is enough);
 * - then each `include` entry, in order, is added to every combination whose original values it does
 *   not change (values added by an earlier include may be overwritten); an entry that fits no
 *   combination becomes a combination of its own (which later entries do not extend).
 * Values are compared and stored as text, as the container sees them.
 */

export type MatrixScalar = string | number | boolean

export interface MatrixDefinition {
  /** The variables given as lists, in the order written. */
  axes: Array<[string, MatrixScalar[]]>
  include: Array<Record<string, MatrixScalar>>
  exclude: Array<Record<string, MatrixScalar>>
}

/** A problem of a matrix, at a path below the `matrix` key (e.g. `['exclude', 0]`). */
export interface MatrixProblem {
  at: Array<string | number>
  message: string
  /** The problem is the key at `at`, not its value. */
  on?: 'key'
}

/** One expansion of a matrix job. */
export interface Expansion {
  /** The expanded job's name: a job name, unique in the pipeline. */
  id: string
  /** What the views show, e.g. `test (node=20, db=pg)`. */
  displayName: string
  /** This combination's values, variables in the matrix's order. */
  values: Record<string, string>
}

/** GitHub's limit, and far more than one machine runs usefully. */
export const MAX_COMBINATIONS = 256
/** Bound on the product before exclusion, so a huge matrix is refused before it is built. */
const MAX_PRODUCT = 16 * MAX_COMBINATIONS

/** The combinations of a matrix, in order; problems for what makes it unusable or surely mistaken. */
export function matrixCombinations(matrix: MatrixDefinition): {combinations: Array<Record<string, string>>; problems: MatrixProblem[]} {
  const problems: MatrixProblem[] = []
  const axisNames = new Set(matrix.axes.map(([name]) => name))
  for (const [name, values] of matrix.axes) {
    if (values.length === 0) problems.push({at: [name], message: `matrix variable "${name}" has no values`})
    const seen = new Set<string>()
    values.forEach((value, index) => {
      const text = String(value)
      if (seen.has(text)) problems.push({at: [name, index], message: `value ${JSON.stringify(text)} appears twice in matrix variable "${name}"`})
      seen.add(text)
    })
  }
  const product = matrix.axes.reduce((size, [, values]) => size * Math.max(values.length, 1), matrix.axes.length === 0 ? 0 : 1)
  if (product > MAX_PRODUCT) {
    problems.push({at: [], message: `the matrix has ${product} combinations; the limit is ${MAX_COMBINATIONS}`})
    return {combinations: [], problems}
  }
  matrix.exclude.forEach((entry, index) => {
    for (const key of Object.keys(entry)) {
      if (!axisNames.has(key)) problems.push({at: ['exclude', index, key], on: 'key', message: `exclude names "${key}", which is not a matrix variable (${[...axisNames].map((n) => `"${n}"`).join(', ') || 'none'})`})
    }
  })
  if (problems.length > 0) return {combinations: [], problems}

  let combinations: Array<Record<string, string>> = matrix.axes.length === 0 ? [] : [nameTable<string>()]
  for (const [name, values] of matrix.axes) {
    combinations = combinations.flatMap((partial) => values.map((value) => nameTable(partial, {[name]: String(value)})))
  }
  matrix.exclude.forEach((entry, index) => {
    const before = combinations.length
    combinations = combinations.filter((combination) => !matches(combination, entry))
    if (combinations.length === before) problems.push({at: ['exclude', index], message: 'this exclude matches no combination of the matrix'})
  })

  const original = combinations
  const added: Array<Record<string, string>> = []
  for (const entry of matrix.include) {
    const text = nameTable(Object.fromEntries(Object.entries(entry).map(([key, value]) => [key, String(value)])))
    // An include may not change a value the lists gave, but may overwrite one an earlier include added.
    const fits = original.filter((combination) => Object.entries(text).every(([key, value]) => !axisNames.has(key) || combination[key] === value))
    for (const combination of fits) Object.assign(combination, text)
    if (fits.length === 0) added.push(text)
  }
  combinations = [...original, ...added]
  if (combinations.length === 0) problems.push({at: [], message: 'the matrix has no combination left'})
  if (combinations.length > MAX_COMBINATIONS) problems.push({at: [], message: `the matrix has ${combinations.length} combinations; the limit is ${MAX_COMBINATIONS}`})
  return {combinations, problems}
}

function matches(combination: Record<string, string>, entry: Record<string, MatrixScalar>): boolean {
  return Object.entries(entry).every(([key, value]) => combination[key] === String(value))
}

/** `${{ matrix.NAME }}` (spaces inside optional); anything else between `${{` and `}}` is refused where these are interpolated. */
export const MATRIX_REFERENCE = /\$\{\{([\s\S]*?)\}\}/g
const MATRIX_NAME = /^\s*matrix\.([A-Za-z_][A-Za-z0-9_-]*)\s*$/

/** A `${{ … }}` that cannot be interpolated, at `offset` in its text. */
export interface ReferenceProblem {
  offset: number
  message: string
}

/**
 * Replaces each `${{ matrix.NAME }}` in `text` by `render(value)`; a variable some other combination has
 * but this one lacks is empty (as in GitHub Actions). `variables` are every variable of the matrix.
 */
export function interpolateMatrix(
  text: string,
  values: Readonly<Record<string, string>>,
  variables: ReadonlySet<string>,
  render: (value: string, name: string) => string = (value) => value,
): {text: string; problems: ReferenceProblem[]} {
  const problems: ReferenceProblem[] = []
  const result = text.replace(MATRIX_REFERENCE, (whole, inner: string, offset: number) => {
    const name = MATRIX_NAME.exec(inner)?.[1]
    if (name === undefined) {
      problems.push({offset, message: `only \${{ matrix.NAME }} can be used here, got ${JSON.stringify(whole)}`})
      return whole
    }
    if (!variables.has(name)) {
      problems.push({offset, message: `unknown matrix variable "${name}"; the matrix has ${[...variables].map((v) => `"${v}"`).join(', ')}`})
      return whole
    }
    return render(Object.hasOwn(values, name) ? values[name]! : '', name)
  })
  return {text: result, problems}
}

/** A value as text a job name can hold: lowercase, runs of other characters as "-". */
export function namePart(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
}

/** A value as a piece of a default id: a name part; one that starts with a digit (or is empty) is led by its variable (`node20`). */
export function idPart(value: string, variable: string): string {
  const part = namePart(value)
  const name = variable.toLowerCase().replace(/[^a-z0-9_]+/g, '')
  if (part === '') return name
  return /^[0-9]/.test(part) ? `${name}${part}` : part
}

const JOB_NAME = /^[a-z0-9][a-z0-9_-]*$/

export interface ExpansionTemplates {
  /** `id:`, e.g. `test-${{ matrix.os }}`: values enter as name parts (lowercase, other characters as "-"). */
  id?: string
  /** `name:`, the display name. */
  name?: string
}

/**
 * The expansions of matrix job `job`: ids (from the template, else the job's name and the values of
 * the list variables, or of every variable for a combination made by include alone) and display names
 * (every value). Problems point at the template (`id`/`name`) or the matrix.
 */
export function expandMatrixJob(
  job: string,
  matrix: MatrixDefinition,
  templates: ExpansionTemplates = {},
): {expansions: Expansion[]; problems: Array<MatrixProblem & {key: 'matrix' | 'id' | 'name'; offset?: number}>} {
  const {combinations, problems: matrixProblems} = matrixCombinations(matrix)
  const problems: Array<MatrixProblem & {key: 'matrix' | 'id' | 'name'; offset?: number}> = matrixProblems.map((p) => ({...p, key: 'matrix'}))
  if (matrixProblems.length > 0) return {expansions: [], problems}
  const variables = new Set(combinations.flatMap((c) => Object.keys(c)))
  const axes = new Set(matrix.axes.map(([name]) => name))
  const expansions: Expansion[] = []
  const byId = new Map<string, Expansion>()
  for (const values of combinations) {
    const displayName = templates.name === undefined ? defaultDisplayName(job, values) : interpolateMatrix(templates.name, values, variables)
    let id: string
    if (templates.id === undefined) {
      const listed = Object.keys(values).filter((name) => axes.has(name))
      const parts = (listed.length > 0 ? listed : Object.keys(values)).map((name) => idPart(values[name]!, name))
      id = [job, ...parts].join('-')
    } else {
      const interpolated = interpolateMatrix(templates.id, values, variables, namePart)
      problems.push(...interpolated.problems.map((p) => ({at: [], key: 'id' as const, offset: p.offset, message: p.message})))
      if (interpolated.problems.length > 0) break
      id = interpolated.text
    }
    const shown = typeof displayName === 'string' ? displayName : displayName.text
    if (typeof displayName !== 'string') {
      problems.push(...displayName.problems.map((p) => ({at: [], key: 'name' as const, offset: p.offset, message: p.message})))
      if (displayName.problems.length > 0) break
    }
    const expansion: Expansion = {id, displayName: shown, values}
    if (!JOB_NAME.test(id)) {
      problems.push({at: [], key: templates.id === undefined ? 'matrix' : 'id', message: `the combination ${describeValues(values)} gets the id ${JSON.stringify(id)}, which is not a job name (lowercase letters, digits, "-" and "_", starting with a letter or digit)`})
      continue
    }
    const other = byId.get(id)
    if (other) {
      const fix = templates.id === undefined ? 'set "id" to a template that tells them apart, e.g. "' : 'change "id" so it tells them apart, e.g. "'
      problems.push({
        at: [],
        key: templates.id === undefined ? 'matrix' : 'id',
        message: `the combinations ${describeValues(other.values)} and ${describeValues(values)} both get the id "${id}"; ${fix}${job}-${[...variables].map((v) => `\${{ matrix.${v} }}`).join('-')}"`,
      })
      continue
    }
    byId.set(id, expansion)
    expansions.push(expansion)
  }
  return {expansions, problems}
}

/** `test (node=20, db=pg)`. */
export function defaultDisplayName(job: string, values: Readonly<Record<string, string>>): string {
  return `${job} ${describeValues(values)}`
}

function describeValues(values: Readonly<Record<string, string>>): string {
  return `(${Object.entries(values)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ')})`
}
