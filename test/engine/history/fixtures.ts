import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {EventBody, OrcaEvent} from '../../../src/engine/records/events.js'
import {foldEvents} from '../../../src/engine/records/record.js'
import type {LivenessProbe} from '../../../src/engine/history/liveness.js'

export const HOST = 'box-1'

/** A probe of a machine named HOST where only the given pids run, each with its start time. */
export function probe(running: Record<number, string> = {}, now = Date.now()): LivenessProbe {
  return {
    host: HOST,
    pidExists: (pid) => pid in running,
    startTimeOf: (pid) => running[pid],
    now: () => now,
  }
}

export function tempRunsDir(): {dir: string; cleanup: () => void} {
  const dir = mkdtempSync(join(tmpdir(), 'orca-history-'))
  return {dir, cleanup: () => rmSync(dir, {recursive: true, force: true})}
}

/** Events of a run of one job `work`, started at `start`; `finished` adds the end. */
export function runEvents(runId: string, start: number, options: {finished?: 'succeeded' | 'failed'; pid?: number} = {}): OrcaEvent[] {
  const bodies: EventBody[] = [
    {type: 'run.started', targets: [], jobs: ['work'], file: '/p/jobs.yml', projectDir: '/p', pid: options.pid ?? 100, host: HOST, orcaVersion: '0.0.0'},
    {type: 'job.started', job: 'work', image: 'busybox:1.36'},
    {type: 'step.started', job: 'work', step: 0, name: 'sleep'},
    {type: 'step.output', job: 'work', step: 0, stream: 'stdout', text: 'working\n'},
  ]
  if (options.finished) {
    bodies.push(
      {type: 'step.finished', job: 'work', index: 0, name: 'sleep', status: options.finished, exitCode: options.finished === 'succeeded' ? 0 : 1, durationMs: 100, allowFailure: false},
      {type: 'job.finished', job: 'work', status: options.finished, durationMs: 200, cleanup: 'removed'},
      {type: 'run.finished', status: options.finished, durationMs: 300},
    )
  }
  return bodies.map((body, i) => ({...body, seq: i + 1, time: new Date(start + i * 100).toISOString(), runId}) as OrcaEvent)
}

/** Writes a run directory as RunStore leaves it; `lock` adds lock.json, `torn` a half-written last line. */
export function writeRun(
  runsDir: string,
  events: OrcaEvent[],
  options: {lock?: {pid: number; startTime: string; host?: string}; torn?: boolean; noRecord?: boolean} = {},
): string {
  const runId = events[0]!.runId
  const dir = join(runsDir, runId)
  mkdirSync(join(dir, 'logs'), {recursive: true})
  const text = events.map((e) => JSON.stringify(e) + '\n').join('') + (options.torn ? '{"type":"step.out' : '')
  writeFileSync(join(dir, 'events.jsonl'), text)
  if (!options.noRecord) writeFileSync(join(dir, 'run.json'), JSON.stringify(foldEvents(events)))
  if (options.lock) {
    const lock = {runId, host: HOST, ...options.lock, acquiredAt: events[0]!.time}
    writeFileSync(join(dir, 'lock.json'), JSON.stringify(lock))
  }
  return dir
}
