import type {KeyedJob} from '../cache/run-cache.js'
import {shortKey} from '../cache/format.js'
import type {JobRun} from './job-life.js'

/**
 * On a local miss, asks the remote cache and tells what it said; a hit there makes the job a hit.
 * An entry not trusted or damaged, or a remote that cannot be reached, is a warning of the job (the
 * job runs); an unreachable remote is said once per run.
 */
export async function lookupRemote(keyed: KeyedJob, run: JobRun): Promise<void> {
  const found = await run.cache?.lookupRemote(keyed)
  if (found === undefined) return
  const job = keyed.job.name
  const {result, durationMs} = found
  const detail = found.result === 'hit' ? {bytes: found.bytes, blobs: found.blobs} : found.result === 'miss' ? {} : {reason: found.reason}
  run.emitter.emit({type: 'cache.remote', job, key: keyed.key, op: 'lookup', result, durationMs, ...detail})
  const entry = `remote cache entry ${shortKey(keyed.key)}`
  if (found.result === 'untrusted') keyed.warnings.push({kind: 'cache-untrusted', message: `${entry} was not used: ${found.reason}; the job runs`})
  else if (found.result === 'damaged') keyed.warnings.push({kind: 'cache-damaged', message: `${entry} was damaged (${found.reason}): the job runs`})
  else if (found.result === 'unavailable' && !found.repeated) {
    keyed.warnings.push({kind: 'cache-remote', message: `the remote cache could not be read (${found.reason}): the job runs`})
  }
}

/** Shares a succeeded job's stored entry with the remote cache in the background, telling how it went. */
export function shareResult(keyed: KeyedJob, run: JobRun): void {
  const job = keyed.job.name
  run.cache?.share(keyed, (upload) => {
    run.emitter.emit({
      type: 'cache.remote',
      job,
      key: keyed.key,
      op: 'upload',
      result: upload.result,
      durationMs: upload.durationMs,
      bytes: upload.bytes,
      blobs: upload.blobs,
      ...(upload.reason ? {reason: upload.reason} : {}),
    })
    if (upload.result === 'failed') run.emitter.emit({type: 'job.warning', job, kind: 'cache-remote', message: `its result was not uploaded to the remote cache (${upload.reason})`})
  })
}
