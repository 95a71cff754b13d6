import {closeSync, fsyncSync, openSync, readFileSync, rmSync, statSync, truncateSync} from 'node:fs'
import * as path from 'node:path'

import {writeAll} from '../atomic-file.js'
import type {OrcaEvent} from '../records/events.js'
import {foldEvents, type RunRecord} from '../records/record.js'
import {listRunIds} from '../records/run-id.js'
import {parseEventLines, readRunRecord, runDir, writeJsonAtomic} from '../records/store.js'
import {readRunLock, removeRunLock} from './lock.js'
import {runLiveness, systemProbe, type LivenessProbe} from './liveness.js'

const FIXUP_FILE = '.abandon.lock'
/** A fix-up marker older than this was left by a process that died mid fix-up. */
const FIXUP_STALE_MS = 60_000

/**
 * A run's record as it truly is: a run still `running` whose owner is gone is recorded as
 * `abandoned` first (a `run.finished` event appended to its log, run.json rewritten, lock removed).
 */
export async function inspectRun(runsDir: string, id: string, probe: LivenessProbe = systemProbe()): Promise<RunRecord> {
  const record = await readRunRecord(runsDir, id)
  if (record.status !== 'running') return record
  const liveness = runLiveness(runsDir, id, probe)
  if (liveness.alive) return record
  // Another process is fixing it up (or cannot write): show it as it will be recorded.
  return markAbandoned(runsDir, id, liveness.reason) ?? abandonedView(record, liveness.reason)
}

/** Every run, newest first, with dead runs recorded as abandoned; unreadable runs are left out. */
export async function inspectRuns(runsDir: string, probe: LivenessProbe = systemProbe()): Promise<RunRecord[]> {
  const records: RunRecord[] = []
  for (const id of await listRunIds(runsDir)) {
    try {
      records.push(await inspectRun(runsDir, id, probe))
    } catch {
      // A directory that is not a run (or one deleted while listing) is not worth failing a listing.
    }
  }
  return records
}

/**
 * Appends `run.finished` (status `abandoned`) to a dead run's events and rewrites run.json as their
 * fold, so every reader (and `followEvents`) sees the run end. One process at a time does it; returns
 * undefined when another one is at it or the directory cannot be written.
 */
export function markAbandoned(runsDir: string, id: string, reason: string): RunRecord | undefined {
  const dir = runDir(runsDir, id)
  const marker = path.join(dir, FIXUP_FILE)
  if (!claim(marker)) return undefined
  try {
    const file = path.join(dir, 'events.jsonl')
    const text = readFileSync(file, 'utf8')
    // A process killed mid-write leaves a torn last line; cut it so the appended event parses.
    const valid = text.slice(0, completeLength(text))
    const events = parseEventLines(valid)
    if (!events.some((e) => e.type === 'run.finished')) {
      const last = events.at(-1)
      const started = events.find((e) => e.type === 'run.started')?.time ?? last?.time
      if (last === undefined || started === undefined) return undefined
      // The run ended at its last sign of life: its last event or the lock's last heartbeat.
      const heartbeat = readRunLock(dir)?.touchedAt ?? 0
      const endMs = Math.max(Date.parse(last.time), Math.min(heartbeat, Date.now()))
      const finished = {
        type: 'run.finished',
        status: 'abandoned',
        durationMs: Math.max(0, endMs - Date.parse(started)),
        error: {kind: 'abandoned', message: `the run was abandoned: ${reason}`},
        seq: last.seq + 1,
        time: new Date(endMs).toISOString(),
        runId: id,
      } satisfies OrcaEvent
      if (valid.length !== text.length) truncateSync(file, Buffer.byteLength(valid))
      appendDurably(file, JSON.stringify(finished) + '\n')
      events.push(finished)
    }
    const record = foldEvents(events)
    if (record !== undefined) writeJsonAtomic(path.join(dir, 'run.json'), record, true)
    removeRunLock(dir)
    return record
  } catch {
    return undefined
  } finally {
    rmSync(marker, {force: true})
  }
}

/** How a dead run is shown while its record cannot be fixed up. */
function abandonedView(record: RunRecord, reason: string): RunRecord {
  return {...record, status: 'abandoned', error: {kind: 'abandoned', message: `the run was abandoned: ${reason}`}}
}

/** Length of the leading whole lines of `text` that are JSON. */
function completeLength(text: string): number {
  let offset = 0
  for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', offset)) {
    const line = text.slice(offset, nl)
    try {
      if (line !== '') JSON.parse(line)
    } catch {
      break
    }
    offset = nl + 1
  }
  return offset
}

function claim(marker: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      closeSync(openSync(marker, 'wx'))
      return true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false
      try {
        if (Date.now() - statSync(marker).mtimeMs < FIXUP_STALE_MS) return false
        rmSync(marker, {force: true})
      } catch {
        return false
      }
    }
  }
  return false
}

function appendDurably(file: string, text: string): void {
  const fd = openSync(file, 'a')
  try {
    writeAll(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
