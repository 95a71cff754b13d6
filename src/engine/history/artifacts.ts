import {constants, existsSync} from 'node:fs'
import {open} from 'node:fs/promises'
import * as path from 'node:path'

import {DamagedBlobError, UnsafeStoreError} from '../artifacts/blobs.js'
import {InvalidManifestError, manifestDigest, parseArtifactManifest, type ArtifactEntry, type ArtifactFileEntry} from '../artifacts/manifest.js'
import {isExecutable, materialise} from '../artifacts/materialise.js'
import {CacheStore} from '../cache/store.js'
import {OrcaError} from '../errors.js'
import {jobRecordOf, type RunRecord} from '../records/record.js'
import {artifactManifestName, runDir} from '../records/store.js'

/** Largest manifest read (a million artifacts is about 150 MB of JSON; more is not a manifest orca wrote). */
const MAX_MANIFEST_BYTES = 512 * 1024 * 1024

/**
 * What a run recorded of a job's artifacts, from its manifest file checked against the digest in
 * run.json; empty when the job has none (or the run predates manifests).
 */
export async function readJobArtifacts(runsDir: string, record: RunRecord, job: string): Promise<ArtifactEntry[]> {
  const summary = jobRecordOf(record, job)?.artifacts
  if (!summary || summary.manifest === null || summary.sha256 === null) return []
  // Always the name orca gives it: a record naming another file is not followed there.
  const file = path.join(runDir(runsDir, record.id), artifactManifestName(job))
  let text: Buffer
  try {
    const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW)
    try {
      const {size} = await handle.stat()
      if (size > MAX_MANIFEST_BYTES) throw new InvalidManifestError('it is larger than any manifest orca writes')
      text = await handle.readFile()
    } finally {
      await handle.close()
    }
    if (manifestDigest(text) !== summary.sha256) throw new InvalidManifestError('it does not match the digest in run.json')
    return parseArtifactManifest(text.toString('utf8'))
  } catch (error) {
    const why = error instanceof InvalidManifestError ? error.message : ((error as NodeJS.ErrnoException).code ?? (error as Error).message)
    throw new OrcaError('infra', `cannot read the artifact manifest of job ${job} in run ${record.id}: ${why}`)
  }
}

/** The artifact files of a run's jobs (every job by default), in job order; links are left out: they are not files to read. */
export async function runArtifactFiles(runsDir: string, record: RunRecord, jobs: readonly string[] = Object.keys(record.jobs)): Promise<Array<{job: string; entry: ArtifactFileEntry}>> {
  const files: Array<{job: string; entry: ArtifactFileEntry}> = []
  for (const job of jobs) {
    for (const entry of await readJobArtifacts(runsDir, record, job)) if (entry.type === 'file') files.push({job, entry})
  }
  return files
}

export interface Materialised {
  job: string
  dir: string
  files: number
  /** False when the folder was already there (the job ran in that run, or it was asked before). */
  written: boolean
}

/**
 * Writes a run's artifacts as files under `artifacts/<job>/` of its directory, as read-only hard
 * links to the cache's content (copies across filesystems), each checked against its digest first.
 * Content that no longer matches (changed through a link, or pruned from the cache) is an error that
 * says so; the cache entry it came from is removed, so the next run rebuilds it.
 */
export async function materialiseRun(options: {runsDir: string; cacheDir: string; record: RunRecord; jobs: string[]}): Promise<Materialised[]> {
  const {runsDir, cacheDir, record} = options
  const cache = new CacheStore(cacheDir)
  const blobs = cache.blobs
  const done: Materialised[] = []
  for (const job of options.jobs) {
    const entries = await readJobArtifacts(runsDir, record, job)
    const dir = path.join(runDir(runsDir, record.id), 'artifacts', job)
    if (existsSync(dir) || entries.length === 0) {
      done.push({job, dir, files: entries.length, written: false})
      continue
    }
    try {
      for (const entry of entries) if (entry.type === 'file') blobs.verify(entry, isExecutable(entry.mode))
      materialise(entries, blobs, dir, {link: true})
    } catch (error) {
      if (!(error instanceof DamagedBlobError || error instanceof UnsafeStoreError)) throw error
      const key = jobRecordOf(record, job)?.key
      if (key) cache.discard(key)
      throw new OrcaError('infra', `the artifacts of job ${job} are no longer in the cache as recorded (${error.message})`, {
        hint: 'the cache entry was removed: `orca run` rebuilds it',
      })
    }
    done.push({job, dir, files: entries.length, written: true})
  }
  return done
}
