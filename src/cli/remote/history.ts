import {createHash} from 'node:crypto'
import {closeSync, existsSync, fchmodSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync} from 'node:fs'
import * as path from 'node:path'

import type {Artifact} from '../../client/index.js'
import {InvalidManifestError, parseArtifactManifest, type ArtifactEntry} from '../../engine/artifacts/manifest.js'
import {writeAll} from '../../engine/atomic-file.js'
import {OrcaError} from '../../engine/errors.js'
import type {OrcaEvent} from '../../engine/records/events.js'
import type {RunRecord} from '../../engine/records/record.js'
import {remoteCall, resolveRemoteRun, type Remote} from './connection.js'

/** The run records on the server, newest first, filtered as `orca runs` filters local ones. */
export async function remoteRuns(remote: Remote, options: {limit: number; status?: string}): Promise<RunRecord[]> {
  const records: RunRecord[] = []
  let before: string | undefined
  do {
    // Without a filter, a page is what is shown; with one, as many as the server gives at once.
    const limit = options.status === undefined ? Math.min(options.limit, 1000) : 1000
    const page = await remoteCall(remote, (client) => client.listRuns({limit, ...(before === undefined ? {} : {before})}))
    for (const record of page.runs as unknown as RunRecord[]) if (options.status === undefined || record.status === options.status) records.push(record)
    before = page.next ?? undefined
  } while (before !== undefined && records.length < options.limit)
  return records.slice(0, options.limit)
}

/** A run's record on the server, by id, unique prefix or `latest`. */
export async function remoteRecord(remote: Remote, ref: string): Promise<RunRecord> {
  const id = await resolveRemoteRun(remote, ref)
  return (await remoteCall(remote, (client) => client.getRun(id))) as unknown as RunRecord
}

/** Each job's artifact files as the server lists them (the manifest entries `orca show` prints). */
export async function remoteArtifactEntries(remote: Remote, id: string): Promise<Map<string, ArtifactEntry[]>> {
  const byJob = new Map<string, ArtifactEntry[]>()
  for (const artifact of await remoteCall(remote, (client) => client.listArtifacts(id))) {
    const entries = byJob.get(artifact.job) ?? []
    entries.push({path: artifact.path, type: 'file', mode: artifact.mode ?? 0o644, size: artifact.size, sha256: artifact.sha256})
    byJob.set(artifact.job, entries)
  }
  return byJob
}

/**
 * A run's events from the server, in order: what there is now, or with `follow` until the run ends.
 * `stop` ends it early (Ctrl-C).
 */
export async function* remoteEvents(remote: Remote, record: RunRecord, options: {follow: boolean; signal?: AbortSignal}): AsyncGenerator<OrcaEvent> {
  // Without --follow, a live run's events recorded so far: none yet is nothing to print.
  if (!options.follow && record.status === 'running' && record.lastSeq === 0) return
  const events = remote.client.events(record.id, options.signal === undefined ? {} : {signal: options.signal})
  try {
    for (;;) {
      const next = await remoteCall(remote, () => events.next())
      if (next.done === true) return
      const event = next.value as unknown as OrcaEvent
      yield event
      // Without --follow, what was recorded when asked: a live run's later events are not waited for.
      if (!options.follow && record.status === 'running' && event.seq >= record.lastSeq) return
    }
  } catch (error) {
    if (options.signal?.aborted) return
    throw error
  } finally {
    await events.return(undefined)
  }
}

/**
 * Downloads a run's artifacts into `<into>/artifacts/<job>/` (`into` is the run's folder of downloads, never
 * a folder of the local runs directory: it would be taken for a local run),
 * each file checked against its digest, through a folder of its own renamed into place; a job whose
 * folder is there already is left as it is, as locally.
 */
export async function downloadArtifacts(
  remote: Remote,
  into: string,
  record: RunRecord,
  jobs: readonly string[],
): Promise<Array<{job: string; dir: string; files: number; written: boolean}>> {
  const listed = await remoteCall(remote, (client) => client.listArtifacts(record.id))
  const done: Array<{job: string; dir: string; files: number; written: boolean}> = []
  for (const job of jobs) {
    const files = checkedListing(listed.filter((artifact) => artifact.job === job), job)
    const dir = path.join(into, 'artifacts', job)
    if (existsSync(dir) || files.length === 0) {
      done.push({job, dir, files: files.length, written: false})
      continue
    }
    mkdirSync(path.dirname(dir), {recursive: true})
    const temp = mkdtempSync(path.join(path.dirname(dir), `.${job}.partial-`))
    try {
      for (const file of files) await downloadOne(remote, record.id, job, file, temp)
      renameSync(temp, dir)
    } catch (error) {
      rmSync(temp, {recursive: true, force: true})
      throw error
    }
    done.push({job, dir, files: files.length, written: true})
  }
  return done
}

/** The server's listing of one job, checked as a manifest is: safe relative paths, no file under a file. */
function checkedListing(artifacts: Artifact[], job: string): Array<ArtifactEntry & {type: 'file'}> {
  const files = artifacts
    .map((a) => ({path: a.path, type: 'file', mode: a.mode ?? 0o644, size: a.size, sha256: a.sha256}))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  try {
    return parseArtifactManifest(JSON.stringify({format: 1, files})) as Array<ArtifactEntry & {type: 'file'}>
  } catch (error) {
    if (error instanceof InvalidManifestError) throw new OrcaError('infra', `the server listed unsafe artifacts for job ${job}: ${error.message}`)
    throw error
  }
}

async function downloadOne(remote: Remote, id: string, job: string, file: ArtifactEntry & {type: 'file'}, root: string): Promise<void> {
  const target = path.join(root, ...file.path.split('/'))
  mkdirSync(path.dirname(target), {recursive: true})
  const body = await remoteCall(remote, (client) => client.downloadArtifact(id, job, file.path))
  const hash = createHash('sha256')
  // Created, never opened through something already there.
  const fd = openSync(target, 'wx', 0o600)
  let size = 0
  try {
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk)
      writeAll(fd, chunk)
      size += chunk.length
    }
    fchmodSync(fd, file.mode & 0o777)
  } finally {
    closeSync(fd)
  }
  if (size !== file.size || hash.digest('hex') !== file.sha256) {
    throw new OrcaError('infra', `artifact ${job}/${file.path} of run ${id} did not match its digest when downloaded from ${remote.url}`)
  }
}

/** Asks the server to cancel a live run of its own. */
export async function remoteCancel(remote: Remote, ref: string, force: boolean): Promise<string> {
  const id = await resolveRemoteRun(remote, ref)
  await remoteCall(remote, (client) => client.cancelRun(id, {force}))
  return id
}
