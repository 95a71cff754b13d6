import {constants} from 'node:fs'
import {open, realpath, type FileHandle} from 'node:fs/promises'
import * as path from 'node:path'

import {OrcaError} from '../engine/errors.js'
import {jobRecordOf, type RunRecord} from '../engine/records/record.js'

/** One artifact of a run, as the run recorded it. */
export interface RunArtifact {
  job: string
  /** As under the job's workdir, `/`-separated. */
  path: string
  size: number
  sha256: string
}

// The one place that knows how a run stores its artifacts: the record lists them per file, and each
// is a file under `<run dir>/artifacts/<job>/`. A change of storage changes these two functions only.

/** Every artifact of a run, in job order. */
export function runArtifacts(record: RunRecord): RunArtifact[] {
  return Object.entries(record.jobs).flatMap(([job, jobRecord]) => jobRecord.artifacts.map((artifact) => ({job, ...artifact})))
}

/**
 * Opens an artifact the run lists, read-only, only when the file it names resolves to a regular
 * file inside that job's artifacts folder (a symlink never leads a reader elsewhere).
 */
export async function openRunArtifact(runDirectory: string, record: RunRecord, job: string, artifactPath: string): Promise<{artifact: RunArtifact; file: FileHandle; hostPath: string}> {
  const listed = jobRecordOf(record, job)?.artifacts.find((artifact) => artifact.path === artifactPath)
  if (listed === undefined) {
    throw new OrcaError('usage', `run ${record.id} has no artifact ${JSON.stringify(artifactPath)} of job ${JSON.stringify(job)}`, {
      hint: 'list_artifacts names every artifact of a run',
    })
  }
  const gone = new OrcaError('usage', `artifact ${job}/${artifactPath} of run ${record.id} is no longer stored in the run directory`)
  try {
    const folder = await realpath(path.join(runDirectory, 'artifacts', job))
    const hostPath = await realpath(path.join(folder, ...artifactPath.split('/')))
    if (!hostPath.startsWith(folder + path.sep)) throw gone
    const file = await open(hostPath, constants.O_RDONLY | constants.O_NOFOLLOW)
    if (!(await file.stat()).isFile()) {
      await file.close()
      throw gone
    }
    return {artifact: {job, ...listed}, file, hostPath}
  } catch (error) {
    if (error instanceof OrcaError) throw error
    throw gone
  }
}
