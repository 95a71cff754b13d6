import * as path from 'node:path'

import type {ErrorObject} from 'ajv/dist/2020.js'

import type {Diagnostic} from '../errors.js'
import {ConfigError} from '../errors.js'
import {nulDiagnostics, semanticDiagnostics} from './checks.js'
import {expandJobs, holdsTemplate, type ExpandedJobs} from './expand.js'
import {composePipeline, type IncludeReader} from './include.js'
import {normalisePipeline} from './normalise.js'
import type {RawPipeline} from './raw.js'
import {schemaDiagnostics} from './schema-diagnostics.js'
import {schemaErrors} from './schema-validators.js'
import {jobs as jobsSchema} from './schema-validators.jobs.generated.js'
import type {Pipeline, PipelineDefaults} from './types.js'
import {parseYaml, type YamlSource} from './yaml-source.js'

/**
 * The core of loadPipeline: text in, Pipeline out (or a ConfigError with every problem). The files
 * `include:` names are read with `readInclude` (the file system's, checked, by default).
 */
export function parsePipeline(text: string, displayFile: string, absFile: string, defaults: PipelineDefaults, readInclude?: IncludeReader): Pipeline {
  const parsed = parseYaml(text, displayFile)
  if (parsed.fatal || !parsed.source) throw new ConfigError(parsed.diagnostics)
  if (parsed.value === null || parsed.value === undefined) {
    throw new ConfigError([{file: displayFile, line: 1, column: 1, path: '', message: 'the file is empty; expected "version: 1" and "jobs:"'}])
  }
  // Included files and extends make one document whose values remember the file they are written in.
  const composed = composePipeline({...parsed, source: parsed.source}, absFile, path.dirname(absFile), readInclude)
  const {source, value: data} = composed
  const expanded = expandJobs(data, source)
  const schema = [
    ...schemaDiagnostics(deferTemplates(schemaErrors(jobsSchema, data), data), source, displayFile),
    ...expansionSchemaDiagnostics(data, expanded, source, displayFile),
  ]
  // A value the schema already refuses (a NUL in a name or an image) is reported once, by the schema.
  const refused = new Set(schema.map((d) => d.path))
  const diagnostics = [
    ...parsed.diagnostics,
    ...composed.diagnostics,
    ...schema,
    ...expanded.diagnostics,
    // The semantic checks read only the parts whose shape is right, so they run even after schema errors.
    ...semanticDiagnostics(data, source, defaults.image, new Map([...expanded.groups].flatMap(([matrix, ids]) => ids.map((id) => [id, matrix] as const)))),
    ...nulDiagnostics(data, source).filter((d) => !refused.has(d.path)),
  ]
  if (diagnostics.length > 0) throw new ConfigError(sortDiagnostics(diagnostics, displayFile))
  const pipeline = normalisePipeline(data as RawPipeline, absFile, defaults, source, expanded)
  if (composed.includes.length > 0) pipeline.includes = composed.includes
  return pipeline
}

/** The path of an ajv error below `jobs.<name>`, split: [name, ...rest]; undefined elsewhere. */
function jobPath(error: ErrorObject): string[] | undefined {
  const parts = error.instancePath.split('/').slice(1).map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
  return parts[0] === 'jobs' && parts.length > 1 ? parts.slice(1) : undefined
}

/** Drops errors on a matrix job's values that hold `${{ … }}`: they are judged once interpolated, on each expansion. */
function deferTemplates(errors: ErrorObject[], data: unknown): ErrorObject[] {
  const jobs = (data as {jobs?: Record<string, unknown>} | null)?.jobs
  return errors.filter((error) => {
    const at = jobPath(error)
    if (!at || !jobs || typeof jobs !== 'object') return true
    const job = Object.hasOwn(jobs, at[0]!) ? (jobs[at[0]!] as {matrix?: unknown} | undefined) : undefined
    return !(job && typeof job === 'object' && job.matrix !== undefined && holdsTemplate(job, at.slice(1)))
  })
}

/**
 * The schema's verdict on each expansion's interpolated values, pointed at the template it came from
 * (`jobs.test.image: … (in test-node20)`); the first expansion a value fails in stands for the rest.
 */
function expansionSchemaDiagnostics(data: unknown, expanded: ExpandedJobs, source: YamlSource, file: string): Diagnostic[] {
  if (expanded.interpolated.length === 0) return []
  const rawJobs = (data as {jobs: Record<string, unknown>}).jobs
  const found: Diagnostic[] = []
  const seen = new Set<string>()
  for (const {id, origin, job} of expanded.interpolated) {
    const errors = schemaErrors(jobsSchema, {version: 1, jobs: {[id]: job}}).flatMap((error) => {
      const at = jobPath(error)
      if (!at || !holdsTemplate(rawJobs[origin], at.slice(1))) return []
      return [{...error, instancePath: ['', 'jobs', origin, ...at.slice(1)].map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}]
    })
    for (const diagnostic of schemaDiagnostics(errors, source, file)) {
      if (seen.has(diagnostic.path)) continue
      seen.add(diagnostic.path)
      found.push({...diagnostic, message: `${diagnostic.message} (in ${id})`})
    }
  }
  return found
}

/** The main file's problems first, then each included file's, each in the order of its lines. */
function sortDiagnostics(diagnostics: Diagnostic[], mainFile: string): Diagnostic[] {
  const files = [mainFile, ...new Set(diagnostics.map((d) => d.file))]
  const rank = (file: string): number => files.indexOf(file)
  return [...diagnostics].sort((a, b) => rank(a.file) - rank(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0))
}
