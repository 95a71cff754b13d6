import type Docker from 'dockerode'

import type {ResolvedConfig} from '../engine/config/types.js'
import {projectIdentity} from '../engine/project-identity.js'
import {sandboxesDirOf, type SandboxRecord} from '../engine/sandbox/record.js'
import {SandboxService} from '../engine/sandbox/service.js'

export interface ServedSandboxesOptions {
  projectDir: string
  config: ResolvedConfig
  env: NodeJS.ProcessEnv
  /** How often expired sandboxes are reaped (default 2 s). */
  reapIntervalMs?: number
  /** Each sandbox reaped at the end of its time-to-live: the one place a `sandbox.expired` notification is sent from. */
  onExpired?: (record: SandboxRecord) => void
  /** Where reaping problems are told (the server's stderr). */
  warn: (message: string) => void
}

/** The sandboxes of a served project, with their reaper running; `stop` ends the reaper (sandboxes outlive the server). */
export function servedSandboxes(options: ServedSandboxesOptions): {service: SandboxService; stop: () => void} {
  let docker: Promise<Docker> | undefined
  let connected = false
  const service = new SandboxService({
    dir: sandboxesDirOf(options.config.runsDir),
    project: projectIdentity(options.projectDir),
    policy: options.config.serve.sandboxes,
    docker: () => {
      docker ??= (async () => {
        const {connectDocker} = await import('../engine/executor/docker/connect.js')
        const executor = await connectDocker({host: options.config.docker.host, env: options.env})
        connected = true
        return executor.docker
      })().catch((error: unknown) => {
        docker = undefined
        throw error
      })
      return docker
    },
    ...(options.onExpired ? {onExpired: options.onExpired} : {}),
  })
  // Said once when reaping starts failing (the engine went away), and again only after it worked.
  let failing = false
  const warn = (error: unknown): void => {
    if (!failing) options.warn(`orca serve: reaping sandboxes failed (tried again every few seconds): ${error instanceof Error ? error.message : String(error)}`)
    failing = true
  }
  // A server that never had a sandbox recorded needs no engine for them: it reaps once there is one.
  const reapIfAny = (): void => {
    if (connected || service.list().length > 0) service.reap().then(() => (failing = false), warn)
  }
  // At start: the records a previous server left are reconciled with the engine at once.
  reapIfAny()
  const timer = setInterval(reapIfAny, options.reapIntervalMs ?? 2000)
  timer.unref()
  return {service, stop: () => clearInterval(timer)}
}
