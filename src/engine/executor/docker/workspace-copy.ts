import type Docker from 'dockerode'
import type {BlobStore} from '../../artifacts/blobs.js'
import type {ArtifactEntry} from '../../artifacts/manifest.js'
import type {Job} from '../../pipeline/types.js'
import {workspaceArchive, type WorkspaceArchive} from '../archive/pack.js'
import {readContainerFile} from './artifacts.js'
import {withTimeout} from './call.js'
import type {ExecTar} from './exec-tar.js'
import {numericUser} from './container-spec.js'
import {containerOwner, isRootUser} from './job-user.js'

/** The container's /etc/passwd or /etc/group is read up to this size. */
const MAX_USER_DATABASE_BYTES = 1024 * 1024

/** The numeric owner of what is copied into a job's workdir; undefined for root. */
export type WorkspaceOwner = {uid: number; gid: number} | undefined

/** What goes into a job's workdir in one archive: project files, needs' artifacts, `.git`, the empty outputs file. */
export interface WorkspaceContent {
  job: Pick<Job, 'workdir' | 'volumes'>
  projectDir: string
  files: string[]
  artifacts: ReadonlyArray<readonly ArtifactEntry[]>
  blobs?: BlobStore
  /** A host folder copied to `workdir/.git` (a job with `git:`). */
  gitDir?: string
  outputFile?: string
  /** Who owns it all (`workspaceOwner`); undefined: root. */
  owner: WorkspaceOwner
}

/**
 * The owner of a job's workspace: its `user` (its own or its image's) as numbers, a name looked up in
 * the container's own /etc/passwd and /etc/group (the engine's copyUIDGID looks names up on the host).
 */
export async function workspaceOwner(container: Docker.Container, user: string): Promise<WorkspaceOwner> {
  if (isRootUser(user)) return undefined
  return numericUser(user) ?? (await containerOwner(user, async (file) => readContainerFile(container, file, MAX_USER_DATABASE_BYTES)))
}

/** True when the copy has nothing to do: the engine creates WorkingDir itself at start (root-owned, so only for root jobs). */
export function nothingToCopy(content: WorkspaceContent): boolean {
  return (
    content.files.length === 0 &&
    content.artifacts.every((a) => a.length === 0) &&
    content.owner === undefined &&
    content.outputFile === undefined &&
    content.gitDir === undefined
  )
}

/**
 * Copies `content` into the container's workdir, every entry owned by its owner; a user other than
 * root also gets its named volumes' mount points (a new volume's folder belongs to root), so a
 * non-root image can write its workspace and caches. `until` rejecting ends the wait (the job is being stopped).
 * Given `tar`, the archive is extracted by the container's own tar instead of putArchive (the same archive).
 */
export async function copyIntoWorkdir(container: Docker.Container, content: WorkspaceContent, until: Promise<never>, tar?: ExecTar): Promise<void> {
  if (nothingToCopy(content)) return
  const archive = workspaceArchiveOf(content)
  const put = withTimeout(tar ? tar.put(container, archive.stream) : container.putArchive(archive.stream, {path: '/'}).then(() => undefined), 'copy inputs into the container', 10 * 60_000)
  // A file that cannot be read cuts the archive short: fail the job rather than run on partial inputs.
  await Promise.race([Promise.all([put, archive.done]), until])
}

/** The archive of `content`, to be extracted at `/`; given a `sentinel`, an empty file of that path ends it. */
export function workspaceArchiveOf(content: WorkspaceContent, sentinel?: string): WorkspaceArchive {
  return workspaceArchive({
    workdir: content.job.workdir,
    projectDir: content.projectDir,
    files: content.files,
    artifacts: content.artifacts,
    ...(content.blobs ? {blobs: content.blobs} : {}),
    ...(content.gitDir !== undefined ? {gitDir: content.gitDir} : {}),
    ...(content.outputFile !== undefined ? {outputFile: content.outputFile} : {}),
    ...(content.owner ? {ownedDirs: Object.values(content.job.volumes), ...content.owner} : {}),
    ...(sentinel !== undefined ? {sentinel} : {}),
  })
}
