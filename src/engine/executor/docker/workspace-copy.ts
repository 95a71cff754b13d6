import type Docker from 'dockerode'
import type {BlobStore} from '../../artifacts/blobs.js'
import type {ArtifactEntry} from '../../artifacts/manifest.js'
import type {Job} from '../../pipeline/types.js'
import {workspaceArchive} from '../archive/pack.js'
import {withTimeout} from './call.js'
import {numericUser} from './container-spec.js'

/** What goes into a job's workdir in one archive: project files, needs' artifacts, the empty outputs file. */
export interface WorkspaceContent {
  job: Pick<Job, 'workdir' | 'user'>
  projectDir: string
  files: string[]
  artifacts: ReadonlyArray<readonly ArtifactEntry[]>
  blobs?: BlobStore
  outputFile?: string
}

/** True when the copy has nothing to do: the engine creates WorkingDir itself at start (root-owned, so only for root jobs). */
export function nothingToCopy(content: WorkspaceContent): boolean {
  return content.files.length === 0 && content.artifacts.every((a) => a.length === 0) && !content.job.user && content.outputFile === undefined
}

/** Copies `content` into the container's workdir; `until` rejecting ends the wait (the job is being stopped). */
export async function copyIntoWorkdir(container: Docker.Container, content: WorkspaceContent, until: Promise<never>): Promise<void> {
  if (nothingToCopy(content)) return
  const owner = numericUser(content.job.user)
  const archive = workspaceArchive({
    workdir: content.job.workdir,
    projectDir: content.projectDir,
    files: content.files,
    artifacts: content.artifacts,
    ...(content.blobs ? {blobs: content.blobs} : {}),
    ...(content.outputFile !== undefined ? {outputFile: content.outputFile} : {}),
    ...owner,
  })
  // A named user is resolved by the engine; a numeric one is written into the headers.
  const options = content.job.user && !owner ? {path: '/', copyUIDGID: 'true'} : {path: '/'}
  const put = withTimeout(container.putArchive(archive.stream, options), 'copy inputs into the container', 10 * 60_000)
  // A file that cannot be read cuts the archive short: fail the job rather than run on partial inputs.
  await Promise.race([Promise.all([put, archive.done]), until])
}
