import {readFile, stat} from 'node:fs/promises'
import * as path from 'node:path'

import type {Diagnostic} from '../errors.js'
import {ConfigError} from '../errors.js'
import {semanticDiagnostics} from './checks.js'
import {normalisePipeline} from './normalise.js'
import type {RawPipeline} from './raw.js'
import {schemaDiagnostics} from './schema-diagnostics.js'
import {validateAgainst} from './schema-validators.js'
import type {Pipeline, PipelineDefaults} from './types.js'
import {displayPath, MAX_FILE_BYTES, parseYaml} from './yaml-source.js'

export const DEFAULT_JOBS_FILE = 'jobs.yml'

/** Reads, validates and normalises a jobs file; throws one ConfigError listing every problem found. */
export async function loadPipeline(file: string, options: {cwd?: string; defaults: PipelineDefaults}): Promise<Pipeline> {
  const cwd = options.cwd ?? process.cwd()
  const absFile = path.resolve(cwd, file)
  const displayFile = displayPath(file, absFile, cwd)
  let size: number
  try {
    const info = await stat(absFile)
    if (!info.isFile()) throw new ConfigError([{file: displayFile, path: '', message: 'is not a file'}])
    size = info.size
  } catch (error) {
    if (error instanceof ConfigError) throw error
    throw new ConfigError([{file: displayFile, path: '', message: 'no such file'}], {
      cause: error,
      hint: 'create one with "orca init", or point at another file with -f/--file',
    })
  }
  if (size > MAX_FILE_BYTES) {
    // Refuse before reading: a huge file is a mistake (or an attack), not a pipeline.
    throw new ConfigError([{file: displayFile, path: '', message: `file is ${(size / 1024 / 1024).toFixed(1)} MiB; the limit is 1.0 MiB`}])
  }
  const source = await readFile(absFile, 'utf8')
  return parsePipeline(source, displayFile, absFile, options.defaults)
}

/** The pure core of loadPipeline: text in, Pipeline out (or a ConfigError with every problem). */
export function parsePipeline(text: string, displayFile: string, absFile: string, defaults: PipelineDefaults): Pipeline {
  const parsed = parseYaml(text, displayFile)
  const {source} = parsed
  if (parsed.fatal || !source) throw new ConfigError(parsed.diagnostics)
  if (parsed.value === null || parsed.value === undefined) {
    throw new ConfigError([{file: displayFile, line: 1, column: 1, path: '', message: 'the file is empty; expected "version: 1" and "jobs:"'}])
  }
  const diagnostics = [
    ...parsed.diagnostics,
    ...schemaDiagnostics(validateAgainst('jobs', parsed.value), source, displayFile),
    // The semantic checks read only the parts whose shape is right, so they run even after schema errors.
    ...semanticDiagnostics(parsed.value, source, defaults.image),
  ]
  if (diagnostics.length > 0) throw new ConfigError(sortDiagnostics(diagnostics))
  const raw = parsed.value as RawPipeline
  return normalisePipeline(raw, absFile, defaults, source)
}

function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0))
}
