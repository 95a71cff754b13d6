import {readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {RunRecord} from '../records/record.js'

/** Durations seen in past runs: what "about how long" means for the progress estimate. */
export interface PastDurations {
  /** Median wall time of past successful runs of exactly the same jobs. */
  runMs?: number
  /** Median duration of each job over the past runs in which it succeeded. */
  jobMs: Map<string, number>
}

/**
 * Reads the `run.json` of the newest `limit` runs (cheap: no event logs) and returns the median
 * durations of the given jobs. Unreadable or unfinished runs are ignored; no runs yields no estimate.
 */
export async function pastDurations(runsDir: string, jobs: string[], limit = 20): Promise<PastDurations> {
  let ids: string[]
  try {
    ids = (await readdir(runsDir)).filter((name) => !name.startsWith('.'))
  } catch {
    return {jobMs: new Map()}
  }
  ids.sort().reverse()
  const records = await Promise.all(ids.slice(0, limit).map((id) => readRecord(join(runsDir, id, 'run.json'))))
  const wanted = new Set(jobs)
  const sameSet = (r: RunRecord): boolean => {
    const names = Object.keys(r.jobs)
    return names.length === wanted.size && names.every((n) => wanted.has(n))
  }
  const runs: number[] = []
  const perJob = new Map<string, number[]>()
  for (const record of records) {
    if (record === undefined) continue
    if (record.status === 'succeeded' && record.durationMs !== null && sameSet(record)) runs.push(record.durationMs)
    for (const [name, job] of Object.entries(record.jobs ?? {})) {
      if (!wanted.has(name) || job.status !== 'succeeded' || job.durationMs === null) continue
      perJob.set(name, [...(perJob.get(name) ?? []), job.durationMs])
    }
  }
  const jobMs = new Map([...perJob].map(([name, values]) => [name, median(values)]))
  return runs.length > 0 ? {runMs: median(runs), jobMs} : {jobMs}
}

async function readRecord(file: string): Promise<RunRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(file, 'utf8')) as RunRecord
    return typeof record === 'object' && record !== null && typeof record.jobs === 'object' ? record : undefined
  } catch {
    return undefined
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
