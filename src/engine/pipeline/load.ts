import {readFile, stat} from 'node:fs/promises'
import * as path from 'node:path'

import {ConfigError} from '../errors.js'
import {ParsedPipelineCache} from './parse-cache.js'
import {displayPath, MAX_FILE_BYTES} from './source-file.js'
import type {Pipeline, PipelineDefaults} from './types.js'

export const DEFAULT_JOBS_FILE = 'jobs.yml'

export interface LoadOptions {
  cwd?: string
  defaults: PipelineDefaults
  /** Remember the result by the file's bytes here, so an unchanged file is not parsed again. */
  parseCacheDir?: string
}

/** Reads, validates and normalises a jobs file; throws one ConfigError listing every problem found. */
export async function loadPipeline(file: string, options: LoadOptions): Promise<Pipeline> {
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
  // The parser (yaml, the schema validators) loads only when the file is new or changed.
  const parse = async (): Promise<Pipeline> => (await import('./parse.js')).parsePipeline(source, displayFile, absFile, options.defaults)
  if (options.parseCacheDir === undefined) return parse()
  const cache = new ParsedPipelineCache(options.parseCacheDir)
  const key = cache.keyOf({source, absFile, displayFile, defaults: options.defaults})
  const cached = cache.get(absFile, key)
  if (cached) return cached
  const pipeline = await parse()
  cache.set(absFile, key, pipeline)
  return pipeline
}
