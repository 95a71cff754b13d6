import type Docker from 'dockerode'

import {OrcaError} from '../../errors.js'
import {dockerMessage, statusCode, withTimeout} from './call.js'
import {LABEL, scopeFilter} from './container-spec.js'
import {execShell} from './exec-shell.js'
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
