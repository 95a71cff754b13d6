import {formatBytes} from '../../engine/bytes.js'
import type {JobRecord, RunRecord} from '../../engine/records/record.js'

/** What the remote cache did in a run, in one line: `remote cache: 2 hits (1.2 MB), 1 miss; 1 uploaded (300 kB), 1 failed`; empty when it was not used. */
export function remoteCacheSummary(record: RunRecord): string {
  const jobs = Object.values(record.jobs).filter((job) => job.remoteCache !== null)
  if (jobs.length === 0) return ''
  const lookups = new Map<string, {n: number; bytes: number}>()
  const uploads = new Map<string, {n: number; bytes: number}>()
  for (const job of jobs) {
    const {lookup, upload} = job.remoteCache!
    if (lookup) add(lookups, lookup.result, lookup.bytes ?? 0)
    if (upload) add(uploads, upload.result, upload.bytes)
  }
  const said = (counts: Map<string, {n: number; bytes: number}>, order: Array<[string, string, string]>): string =>
    order
      .filter(([result]) => counts.has(result))
      .map(([result, one, many]) => {
        const {n, bytes} = counts.get(result)!
        return `${n} ${n === 1 ? one : many}${bytes > 0 ? ` (${formatBytes(bytes)})` : ''}`
      })
      .join(', ')
  const looked = said(lookups, [['hit', 'hit', 'hits'], ['miss', 'miss', 'misses'], ['untrusted', 'untrusted', 'untrusted'], ['damaged', 'damaged', 'damaged'], ['unavailable', 'unavailable', 'unavailable']])
  const sent = said(uploads, [['uploaded', 'uploaded', 'uploaded'], ['exists', 'already there', 'already there'], ['failed', 'upload failed', 'uploads failed']])
  return `remote cache: ${[looked, sent].filter(Boolean).join('; ')}`
}

/** `cached (from the remote cache, 1.2 MB)` for a job restored from the remote in this run. */
export function cachedDetail(job: JobRecord): string {
  const lookup = job.remoteCache?.lookup
  if (lookup?.result !== 'hit') return 'cached'
  return `cached (from the remote cache${lookup.bytes ? `, ${formatBytes(lookup.bytes)} downloaded` : ''})`
}

function add(counts: Map<string, {n: number; bytes: number}>, result: string, bytes: number): void {
  const count = counts.get(result) ?? {n: 0, bytes: 0}
  counts.set(result, {n: count.n + 1, bytes: count.bytes + bytes})
}
