import {open} from 'node:fs/promises'
import type {FileHandle} from 'node:fs/promises'
import * as path from 'node:path'
import {StringDecoder} from 'node:string_decoder'
import {setTimeout as sleep} from 'node:timers/promises'

import {OrcaError} from '../errors.js'
import type {OrcaEvent} from './events.js'
import {runDir} from './store.js'

export interface FollowOptions {
  /** Yield only events with a greater `seq` (resuming, e.g. from SSE `Last-Event-ID`). */
  afterSeq?: number
  /** Stops following; the iterator then ends quietly. */
  signal?: AbortSignal
  /** How often to look for new events while the run is quiet. */
  pollMs?: number
}

/**
 * A run's events as they are recorded, from another process: everything so far, then new events as
 * they are appended, ending after `run.finished`. A run that died without one is followed until
 * `signal` aborts (callers decide liveness from the record's `host` and `pid`).
 */
export async function* followEvents(runsDir: string, id: string, options: FollowOptions = {}): AsyncGenerator<OrcaEvent> {
  const file = path.join(runDir(runsDir, id), 'events.jsonl')
  const afterSeq = options.afterSeq ?? 0
  const decoder = new StringDecoder('utf8')
  const buffer = Buffer.alloc(64 * 1024)
  let handle: FileHandle | undefined
  let offset = 0
  let partial = ''
  try {
    for (;;) {
      if (options.signal?.aborted) return
      handle ??= await openIfExists(file, runsDir, id)
      while (handle) {
        const {bytesRead} = await handle.read(buffer, 0, buffer.length, offset)
        if (bytesRead === 0) break
        offset += bytesRead
        const lines = (partial + decoder.write(buffer.subarray(0, bytesRead))).split('\n')
        // The last piece is a line still being written (or empty after a newline).
        partial = lines.pop() ?? ''
        for (const line of lines) {
          if (line === '') continue
          const event = JSON.parse(line) as OrcaEvent
          if (event.seq > afterSeq) yield event
          // The end, even when resuming from it or past it: nothing can follow run.finished.
          if (event.type === 'run.finished') return
        }
      }
      try {
        await sleep(options.pollMs ?? 100, undefined, {signal: options.signal})
      } catch {
        return
      }
    }
  } finally {
    await handle?.close()
  }
}

/** The event log, or undefined while the run directory exists but nothing was written yet. */
async function openIfExists(file: string, runsDir: string, id: string): Promise<FileHandle | undefined> {
  try {
    return await open(file, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    try {
      await (await open(path.dirname(file), 'r')).close()
    } catch {
      throw new OrcaError('usage', `no run ${id} in ${runsDir}`)
    }
    return undefined
  }
}
