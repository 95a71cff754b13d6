import {readFileSync, statSync} from 'node:fs'
import {createHash} from 'node:crypto'
import * as path from 'node:path'
import {fileURLToPath} from 'node:url'

import {replaceFile} from '../atomic-file.js'
import {INDEX_FORMAT} from '../index-format.js'
import type {Job, Pipeline, PipelineDefaults} from './types.js'

interface Stored {
  format: number
  key: string
  pipeline: Omit<Pipeline, 'jobs'> & {jobs: Array<[string, Job]>}
}

/**
 * Parsed jobs files by their bytes and those of the files they include: an unchanged jobs.yml is not
 * parsed (nor `yaml` loaded) again.
 * One slot per jobs file, so edits replace rather than pile up; a damaged or foreign slot is a miss.
 */
export class ParsedPipelineCache {
  constructor(readonly dir: string) {}

  /** Everything the parse result depends on, including the code that parsed it. */
  keyOf(input: {source: string; absFile: string; displayFile: string; defaults: PipelineDefaults}): string {
    return createHash('sha256')
      .update(JSON.stringify([INDEX_FORMAT, codeStamp(), input.absFile, input.displayFile, input.defaults, input.source]))
      .digest('hex')
  }

  get(absFile: string, key: string): Pipeline | undefined {
    try {
      const stored = JSON.parse(readFileSync(this.slot(absFile), 'utf8')) as Stored
      if (stored.format !== INDEX_FORMAT || stored.key !== key) return undefined
      // The jobs file's bytes are in the key; the files it includes are read again and compared.
      for (const included of stored.pipeline.includes ?? []) {
        if (createHash('sha256').update(readFileSync(included.file)).digest('hex') !== included.sha256) return undefined
      }
      return {...stored.pipeline, jobs: new Map(stored.pipeline.jobs)}
    } catch {
      return undefined
    }
  }

  /** Best effort: a cache that cannot be written only costs the next run a parse. */
  set(absFile: string, key: string, pipeline: Pipeline): void {
    const stored: Stored = {format: INDEX_FORMAT, key, pipeline: {...pipeline, jobs: [...pipeline.jobs]}}
    try {
      replaceFile(this.slot(absFile), JSON.stringify(stored), {createDir: true})
    } catch {
      // Read-only or full disk: parse again next time.
    }
  }

  private slot(absFile: string): string {
    return path.join(this.dir, `${createHash('sha256').update(absFile).digest('hex').slice(0, 24)}.json`)
  }
}

let stamp: string | undefined

/** Identifies this build of orca: a rebuilt or reinstalled parser must not trust what another one stored. */
function codeStamp(): string {
  if (stamp === undefined) {
    try {
      const info = statSync(fileURLToPath(import.meta.url))
      stamp = `${info.size}:${info.mtimeMs}:${info.ino}`
    } catch {
      stamp = String(Math.random())
    }
  }
  return stamp
}
