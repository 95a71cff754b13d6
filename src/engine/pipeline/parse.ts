import type {Diagnostic} from '../errors.js'
import {ConfigError} from '../errors.js'
import {nulDiagnostics, semanticDiagnostics} from './checks.js'
import {normalisePipeline} from './normalise.js'
import type {RawPipeline} from './raw.js'
import {schemaDiagnostics} from './schema-diagnostics.js'
import {validateAgainst} from './schema-validators.js'
import type {Pipeline, PipelineDefaults} from './types.js'
import {parseYaml} from './yaml-source.js'

/** The pure core of loadPipeline: text in, Pipeline out (or a ConfigError with every problem). */
export function parsePipeline(text: string, displayFile: string, absFile: string, defaults: PipelineDefaults): Pipeline {
  const parsed = parseYaml(text, displayFile)
  const {source} = parsed
  if (parsed.fatal || !source) throw new ConfigError(parsed.diagnostics)
  if (parsed.value === null || parsed.value === undefined) {
    throw new ConfigError([{file: displayFile, line: 1, column: 1, path: '', message: 'the file is empty; expected "version: 1" and "jobs:"'}])
  }
  const schema = schemaDiagnostics(validateAgainst('jobs', parsed.value), source, displayFile)
  // A value the schema already refuses (a NUL in a name or an image) is reported once, by the schema.
  const refused = new Set(schema.map((d) => d.path))
  const diagnostics = [
    ...parsed.diagnostics,
    ...schema,
    // The semantic checks read only the parts whose shape is right, so they run even after schema errors.
    ...semanticDiagnostics(parsed.value, source, defaults.image),
    ...nulDiagnostics(parsed.value, source).filter((d) => !refused.has(d.path)),
  ]
  if (diagnostics.length > 0) throw new ConfigError(sortDiagnostics(diagnostics))
  const raw = parsed.value as RawPipeline
  return normalisePipeline(raw, absFile, defaults, source)
}

function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0))
}
