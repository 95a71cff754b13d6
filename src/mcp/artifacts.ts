import type {FileHandle} from 'node:fs/promises'
import {realpath} from 'node:fs/promises'
import * as path from 'node:path'

import {openVerified} from '../engine/artifacts/open-verified.js'
import {CacheStore} from '../engine/cache/store.js'
import {OrcaError} from '../engine/errors.js'
import {materialiseRun, readJobArtifacts, runArtifactFiles} from '../engine/history/artifacts.js'
import {jobRecordOf, type RunRecord} from '../engine/records/record.js'
import {runDir} from '../engine/records/store.js'

/** One artifact of a run, as the run recorded it. */
export interface RunArtifact {
  job: string
  /** As under the job's workdir, `/`-separated. */
  path: string
  size: number
  sha256: string
}

/** Where a project keeps its runs and the cache content their artifacts share. */
export interface ArtifactDirs {
  runsDir: string
  cacheDir: string
}

// The one place that knows how a run stores its artifacts for this server: each job's manifest
// (`<run dir>/artifacts/<job>.json`, checked against run.json) lists them, and the files are under
// `<run dir>/artifacts/<job>/`, hard links to the cache's content. A change of storage changes these two functions only.

/** Every artifact file of a run (of one job, when given), in job order; links are not files to read and are left out. */
export async function runArtifacts(runsDir: string, record: RunRecord, job?: string): Promise<RunArtifact[]> {
  const jobs = job === undefined ? undefined : jobRecordOf(record, job) === undefined ? [] : [job]
  return (await runArtifactFiles(runsDir, record, jobs)).map(({job, entry}) => ({job, path: entry.path, size: entry.size, sha256: entry.sha256}))
}

/**
 * Opens an artifact file the job's manifest lists, read-only, once it holds the bytes recorded for
 * it. A job restored from the cache left only its manifest in the run: its files are written out
 * (each checked) first. The file must resolve to a regular file inside that job's artifacts folder
 * (a symlink never leads a reader elsewhere); content changed after it was stored is refused and its
 * cache entry removed, so the next run rebuilds it.
 */
export async function openRunArtifact(dirs: ArtifactDirs, record: RunRecord, job: string, artifactPath: string): Promise<{artifact: RunArtifact; file: FileHandle; hostPath: string}> {
  const entry = (await readJobArtifacts(dirs.runsDir, record, job)).find((listed) => listed.path === artifactPath)
  if (entry?.type !== 'file') {
    throw new OrcaError('usage', `run ${record.id} has no artifact ${JSON.stringify(artifactPath)} of job ${JSON.stringify(job)}`, {
      hint: 'list_artifacts names every artifact of a run',
    })
  }
  await materialiseRun({...dirs, record, jobs: [job]})
  const gone = new OrcaError('usage', `artifact ${job}/${artifactPath} of run ${record.id} is no longer stored in the run directory`)
  let hostPath: string
  try {
    const folder = await realpath(path.join(runDir(dirs.runsDir, record.id), 'artifacts', job))
    hostPath = await realpath(path.join(folder, ...artifactPath.split('/')))
    if (!hostPath.startsWith(folder + path.sep)) throw gone
  } catch {
    throw gone
  }
  const file = await openVerified(hostPath, entry)
  if (file === undefined) throw gone
  if (file === 'changed') {
    const key = jobRecordOf(record, job)?.key
    if (key) new CacheStore(dirs.cacheDir).discard(key)
    throw new OrcaError('infra', `artifact ${job}/${artifactPath} of run ${record.id} was changed after it was stored`, {
      hint: 'its cache entry was removed: the next run of the job rebuilds it',
    })
  }
  return {artifact: {job, path: entry.path, size: entry.size, sha256: entry.sha256}, file, hostPath}
}
