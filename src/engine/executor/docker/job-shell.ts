import type Docker from 'dockerode'

import type {BlobStore} from '../../artifacts/blobs.js'
import type {ArtifactEntry} from '../../artifacts/manifest.js'
import {OrcaError} from '../../errors.js'
import type {Job} from '../../pipeline/types.js'
import {projectIdentity} from '../../project-identity.js'
import {dockerMessage, statusCode, withTimeout} from './call.js'
import {containerSpec, LABEL, scopeFilter} from './container-spec.js'
import {execShell} from './exec-shell.js'
import {ensureImage} from './images.js'
import {jobUser} from './job-user.js'
import {removeContainer} from './resources.js'
import {copyIntoWorkdir, workspaceOwner} from './workspace-copy.js'
import type {ResourceScope, ShellTerminal} from '../types.js'

export interface KeptShellRequest {
  runId: string
  job: string
  scope: ResourceScope
  /** The job's workdir and environment (its secrets' values among them: the user's own). */
  workdir: string
  env: Record<string, string>
  /** One command instead of a shell. */
  cmd?: string[]
  terminal: ShellTerminal
}

/** The container its cleanup policy kept for a job of a run (not one of its services'), in `scope`. */
export async function findKeptContainer(docker: Docker, runId: string, job: string, scope: ResourceScope): Promise<Docker.ContainerInfo | undefined> {
  const filters = {label: [...scopeFilter(scope), `${LABEL.kept}=true`, `${LABEL.run}=${runId}`, `${LABEL.job}=${job}`]}
  const list = await withTimeout(docker.listContainers({all: true, filters}), 'list containers')
  return list.find((info) => info.Labels[LABEL.service] === undefined)
}

/**
 * Opens a shell (or runs `cmd`) in a kept container, started for the purpose with the filesystem its
 * job ended with, and stops it again afterwards so it stays as kept; resolves to the exit code.
 */
export async function shellInKept(docker: Docker, info: Docker.ContainerInfo, request: KeptShellRequest): Promise<number | null> {
  const container = docker.getContainer(info.Id)
  const wasRunning = info.State === 'running'
  if (!wasRunning) {
    await withTimeout(container.start(), 'start kept container').catch((error: unknown) => {
      if (statusCode(error) !== 304) throw new OrcaError('infra', `cannot start the kept container ${info.Id.slice(0, 12)}: ${dockerMessage(error)}`)
    })
  }
  try {
    return await execShell(docker, container, request.terminal, {env: request.env, workdir: request.workdir, ...(request.cmd ? {cmd: request.cmd} : {})})
  } finally {
    // Another shell may still be open in it: only the one who started it stops it.
    if (!wasRunning) await withTimeout(container.stop({t: 2}), 'stop kept container', 20_000).catch(() => undefined)
  }
}

/** What a fresh container for a finished job is made of: its definition, its inputs now and its needs' artifacts from the run. */
export interface FreshShellRequest {
  runId: string
  job: Job
  projectDir: string
  inputFiles: string[]
  needArtifacts: ReadonlyArray<readonly ArtifactEntry[]>
  blobs: BlobStore
  env: Record<string, string>
  cmd?: string[]
  terminal: ShellTerminal
}

/**
 * When a job's container is gone: a fresh one from the job's image (hardened and labelled as the
 * job's was, so a killed orca leaves an ordinary leak), its inputs and needs' artifacts laid out in
 * its workdir, a shell (or `cmd`) in it; removed when that exits.
 */
export async function shellInFresh(docker: Docker, request: FreshShellRequest): Promise<number | null> {
  const {job} = request
  const imageId = await ensureImage(docker, job.image, new AbortController().signal, undefined, {...(job.platform ? {platform: job.platform} : {})})
  const spec = containerSpec(request.runId, job, 'always_remove', imageId, projectIdentity(request.projectDir))
  // Its own name: the job's may still be taken (a kept twin of another attempt, a leak).
  const container = await withTimeout(docker.createContainer({...spec, name: `${String(spec.name)}-shell-${Date.now().toString(36)}`}), 'create container')
  try {
    await withTimeout(container.start(), 'start container')
    const owner = await workspaceOwner(container, await jobUser(docker, job.user, imageId, new Map()))
    const content = {job, projectDir: request.projectDir, files: request.inputFiles, artifacts: request.needArtifacts, blobs: request.blobs, owner}
    await copyIntoWorkdir(container, content, new Promise<never>(() => undefined))
    return await execShell(docker, container, request.terminal, {env: request.env, workdir: job.workdir, ...(request.cmd ? {cmd: request.cmd} : {})})
  } finally {
    await removeContainer(container).catch(() => undefined)
  }
}
