import {closeSync, fsyncSync, mkdirSync, openSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import * as path from 'node:path'

import {replaceFile, writeAll} from '../atomic-file.js'
import {logTextOf} from './log-header.js'
import {OrcaError} from '../errors.js'
import type {EventSink, OrcaEvent} from './events.js'
import {foldEvent, foldEvents, isStateChange, upgradeRecord} from './record.js'
import type {RunRecord} from './record.js'
import {listRunIds} from './run-id.js'

/** run.json is rewritten at most this often while only output and step events arrive. */
export const RECORD_THROTTLE_MS = 200
/** Buffered events.jsonl and log text is written out once it grows past this, even mid-tick. */
const FLUSH_BYTES = 256 * 1024
const JOB_NAME = /^[a-z0-9][a-z0-9_-]*$/
const RUN_DIR_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/**
 * Records one run under `<runsDir>/<runId>/`: `events.jsonl` (every event, in order), `run.json`
 * (their fold, replaced atomically), `logs/<job>.log` and `artifacts/<job>/`.
 * Writes are synchronous and batched per tick, so order is the order of `handle` calls.
 */
export class RunStore implements EventSink {
  readonly dir: string
  private record: RunRecord | undefined
  private readonly eventsFd: number
  private pendingEvents: string[] = []
  private pendingBytes = 0
  private readonly logs = new Map<string, {fd: number; pending: string[]; atLineStart: boolean}>()
  private flushScheduled = false
  private stateRecordScheduled = false
  private recordDirty = false
  private recordTimer: NodeJS.Timeout | undefined
  private lastRecordWrite = 0
  private closed = false
  /** The first write that failed; later events are only folded in memory, so the files have no gaps. */
  private failure: OrcaError | undefined

  private constructor(dir: string) {
    this.dir = dir
    this.eventsFd = openSync(path.join(dir, 'events.jsonl'), 'a')
  }

  /** Creates the run directory with its `logs/` and `artifacts/` folders. */
  static async create(runsDir: string, runId: string): Promise<RunStore> {
    const dir = path.join(runsDir, runId)
    try {
      mkdirSync(path.join(dir, 'logs'), {recursive: true})
      mkdirSync(path.join(dir, 'artifacts'), {recursive: true})
      return new RunStore(dir)
    } catch (error) {
      throw new OrcaError('infra', `cannot create the run directory ${dir}: ${(error as Error).message}`, {cause: error})
    }
  }

  /** The current fold of every event handled so far. */
  get current(): RunRecord | undefined {
    return this.record
  }

  /** Where the executor puts a job's artifacts (paths as under its workdir). */
  artifactsDir(job: string): string {
    return path.join(this.dir, 'artifacts', checkJobName(job))
  }

  /** `host/<job>/`: where a `runs-on: host` job runs (removed after it, unless its cleanup policy keeps it). */
  hostWorkDir(job: string): string {
    return path.join(this.dir, HOST_WORK, checkJobName(job))
  }

  /** `logs/<job>.services/`: each service's log is `<service>.log` there (a job name has no ".", so no job's log can clash). */
  serviceLogDir(job: string): string {
    return path.join(this.dir, 'logs', `${checkJobName(job)}.services`)
  }

  /** The manifest file listing a job's artifacts. */
  /** Where a job's collected test reports go (`reports/<job>/`, paths as under its workdir). */
  reportsDir(job: string): string {
    return path.join(this.dir, reportsName(job))
  }

  artifactManifestPath(job: string): string {
    return path.join(this.dir, artifactManifestName(job))
  }

  logPath(job: string): string {
    return path.join(this.dir, 'logs', `${checkJobName(job)}.log`)
  }

  /** Never throws: a failed write stops further writes and is raised by `close()`. */
  handle(event: OrcaEvent): void {
    if (this.closed) return
    this.record = foldEvent(this.record, event)
    this.recordDirty = true
    if (this.failure === undefined) this.guard(() => this.write(event))
  }

  private write(event: OrcaEvent): void {
    const line = JSON.stringify(event) + '\n'
    this.pendingEvents.push(line)
    this.pendingBytes += line.length

    const log = logTextOf(event)
    if (log !== undefined) this.appendLog(log.job, log.text, log.header)

    if (this.pendingBytes >= FLUSH_BYTES) this.flushText()
    else this.scheduleFlush()

    if (event.type === 'run.finished') this.writeRecord(true)
    else if (isStateChange(event)) this.scheduleStateRecord()
    else this.scheduleRecord()
  }

  /** Writes everything out; the store accepts no events afterwards. Throws if any write failed. */
  close(): void {
    if (this.closed) return
    if (this.recordTimer) clearTimeout(this.recordTimer)
    this.guard(() => {
      this.flushText()
      if (this.recordDirty) this.writeRecord(true)
      fsyncSync(this.eventsFd)
    })
    this.closed = true
    closeSync(this.eventsFd)
    for (const log of this.logs.values()) closeSync(log.fd)
    this.logs.clear()
    if (this.failure) throw this.failure
  }

  private appendLog(job: string, text: string, header: boolean): void {
    let log = this.logs.get(job)
    if (log === undefined) {
      log = {fd: openSync(this.logPath(job), 'a'), pending: [], atLineStart: true}
      this.logs.set(job, log)
    }
    // A step header always starts its own line, even after output that ended mid-line.
    if (header && !log.atLineStart) log.pending.push('\n')
    if (text === '') return
    log.pending.push(text)
    log.atLineStart = text.endsWith('\n')
    this.pendingBytes += text.length
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    setImmediate(() => {
      this.flushScheduled = false
      if (!this.closed) this.guard(() => this.flushText())
    })
  }

  /** Events first, so a log line or record is never ahead of the event log. */
  private flushText(): void {
    if (this.pendingEvents.length > 0) {
      writeAll(this.eventsFd, this.pendingEvents.join(''))
      this.pendingEvents = []
    }
    for (const log of this.logs.values()) {
      if (log.pending.length === 0) continue
      writeAll(log.fd, log.pending.join(''))
      log.pending = []
    }
    this.pendingBytes = 0
  }

  /** A state change reaches run.json once the current burst of events is handled (a cache hit is one burst). */
  private scheduleStateRecord(): void {
    if (this.stateRecordScheduled) return
    this.stateRecordScheduled = true
    setImmediate(() => {
      this.stateRecordScheduled = false
      if (!this.closed && this.recordDirty) this.guard(() => this.writeRecord(false))
    })
  }

  private scheduleRecord(): void {
    if (this.recordTimer) return
    const wait = Math.max(0, RECORD_THROTTLE_MS - (Date.now() - this.lastRecordWrite))
    this.recordTimer = setTimeout(() => {
      this.recordTimer = undefined
      if (!this.closed && this.recordDirty) this.guard(() => this.writeRecord(false))
    }, wait)
    this.recordTimer.unref()
  }

  /** A full disk must not crash a run half way (containers left behind): keep the error for `close()`. */
  private guard(write: () => void): void {
    if (this.failure) return
    try {
      write()
    } catch (error) {
      this.failure ??= new OrcaError('infra', `cannot write the run directory ${this.dir}: ${(error as Error).message}`, {cause: error})
    }
  }

  private writeRecord(durable: boolean): void {
    if (this.record === undefined) return
    if (this.recordTimer) {
      clearTimeout(this.recordTimer)
      this.recordTimer = undefined
    }
    // run.json claims `lastSeq`; the events it folds must be on disk first.
    this.flushText()
    writeJsonAtomic(path.join(this.dir, 'run.json'), this.record, durable)
    this.recordDirty = false
    this.lastRecordWrite = Date.now()
  }
}

/** Replaces `file` with `value` as JSON so readers see the old or the new document, never a mix. */
export function writeJsonAtomic(file: string, value: unknown, durable = false): void {
  replaceFile(file, JSON.stringify(value, null, 2) + '\n', {durable})
}

/** Reads a run's record; folds its events when run.json was never written (a crash at start). */
export async function readRunRecord(runsDir: string, id: string): Promise<RunRecord> {
  const dir = runDir(runsDir, id)
  try {
    return upgradeRecord(JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')) as RunRecord)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new OrcaError('infra', `cannot read the record of run ${id}: ${(error as Error).message}`, {cause: error})
    }
  }
  const record = foldEvents(await readEvents(runsDir, id))
  if (record === undefined) throw new OrcaError('usage', `run ${id} has no record in ${runsDir}`)
  return record
}

/** The records of every run under `runsDir`, newest first; unreadable runs are left out. */
export async function listRuns(runsDir: string): Promise<RunRecord[]> {
  const records: RunRecord[] = []
  for (const id of await listRunIds(runsDir)) {
    try {
      records.push(await readRunRecord(runsDir, id))
    } catch {
      // A directory that is not a run (or a run deleted while listing) is not worth failing a listing.
    }
  }
  return records
}

/** A run's events in order. A torn last line (a crash mid-write) is ignored. */
export async function readEvents(runsDir: string, id: string): Promise<OrcaEvent[]> {
  const file = path.join(runDir(runsDir, id), 'events.jsonl')
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new OrcaError('usage', `no run ${id} in ${runsDir}`)
    throw new OrcaError('infra', `cannot read ${file}: ${(error as Error).message}`, {cause: error})
  }
  return parseEventLines(text)
}

/** Parses events.jsonl text; stops at the first line that is not complete JSON. */
export function parseEventLines(text: string): OrcaEvent[] {
  const events: OrcaEvent[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    try {
      events.push(JSON.parse(line) as OrcaEvent)
    } catch {
      break
    }
  }
  return events
}

/** The folder of a run directory that holds its host jobs' work folders. */
export const HOST_WORK = 'host'

/** The directory of a run; an id that could leave `runsDir` (`../x`, `a/b`) is no run at all. */
export function runDir(runsDir: string, id: string): string {
  if (!RUN_DIR_NAME.test(id)) throw new OrcaError('usage', `invalid run id ${JSON.stringify(id)}`)
  return path.join(runsDir, id)
}

/** A job's artifact manifest, relative to its run directory (as events and run.json name it). */
/** A job's reports folder, relative to the run directory. */
export function reportsName(job: string): string {
  return `reports/${checkJobName(job)}`
}

export function artifactManifestName(job: string): string {
  return `artifacts/${checkJobName(job)}.json`
}

function checkJobName(job: string): string {
  // Names are validated when jobs.yml is loaded; this guards the paths built from them.
  if (!JOB_NAME.test(job)) throw new OrcaError('internal', `invalid job name for a path: ${JSON.stringify(job)}`)
  return job
}
