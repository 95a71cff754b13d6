import type Docker from 'dockerode'
import type {Leak, ResourceScope} from '../types.js'
import {dockerMessage, listing, withTimeout} from './call.js'
import {LABEL, scopeFilter} from './container-spec.js'

/** A container is kept by policy once it carries `orca.kept=true` (docs/running.md). */
function isKept(labels: Record<string, string> | undefined): boolean {
  return labels?.[LABEL.kept] === 'true'
}

/** Removes the containers of a run that policy does not keep. */
export async function removeRunContainers(docker: Docker, runId: string): Promise<void> {
  const containers = await listing(() => docker.listContainers({all: true, filters: {label: [`${LABEL.managed}=true`, `${LABEL.run}=${runId}`]}}), 'list containers')
  for (const info of containers) {
    if (isKept(info.Labels)) continue
    await removeContainer(docker.getContainer(info.Id))
  }
}

/** Force-removes a container and its anonymous volumes; a container already gone, or being removed by the engine, is fine. */
export async function removeContainer(container: Pick<Docker.Container, 'remove'>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await withTimeout(container.remove({force: true, v: true}), 'remove container')
      return
    } catch (error) {
      if (goneOrGoing(error)) return
      // Podman refuses a forced removal when the container stops by itself while it is being killed
      // ("container state improper: stopped"): it is stopped now, so the removal is asked again.
      if (attempt >= 3 || !stoppedMeanwhile(error)) throw error
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt))
    }
  }
}

function stoppedMeanwhile(error: unknown): boolean {
  return statusOf(error) === 500 && /container state improper|could not be stopped/i.test(dockerMessage(error))
}

/**
 * Ends a container the engine removes once its process ends (`AutoRemove`): SIGHUP to its init, passed
 * on to the keep-alive shell, which exits; the engine answers once the signal is sent, and removes the
 * container (its anonymous volumes too) even if orca exits or dies right after. A container that already
 * stopped is being removed. Should the signal fail, it is force-removed as any other.
 */
export async function endContainer(container: Docker.Container): Promise<void> {
  try {
    await withTimeout(container.kill({signal: 'SIGHUP'}), 'signal container')
  } catch (error) {
    // 409: not running (stopped by a timeout or a cancel), so already being removed by the engine.
    if (goneOrGoing(error) || statusOf(error) === 409) return
    await removeContainer(container)
  }
}

const statusOf = (error: unknown): number | undefined => (error as {statusCode?: number}).statusCode

/** 404: gone; 409 "removal ... is already in progress": the engine (AutoRemove) or another remover has it. */
function goneOrGoing(error: unknown): boolean {
  return statusOf(error) === 404 || (statusOf(error) === 409 && /already in progress/i.test(String((error as Error).message)))
}

/**
 * Orca containers (jobs' and services') and networks (jobs') in `scope` whose run is over and which
 * policy does not keep, containers first: a network goes once nothing is attached. Volumes never leak.
 */
export async function listLeaks(docker: Docker, isRunAlive: (runId: string) => boolean, scope: ResourceScope): Promise<Leak[]> {
  const filters = {label: scopeFilter(scope)}
  const [containers, networks] = await Promise.all([
    listing(() => docker.listContainers({all: true, filters}), 'list containers'),
    listing(() => docker.listNetworks({filters}), 'list networks'),
  ])
  const leaks: Leak[] = []
  for (const info of containers) {
    const runId = info.Labels[LABEL.run]
    // A sandbox is no run's: its own reaper decides by its record and time-to-live (engine/sandbox).
    if (isKept(info.Labels) || info.Labels[LABEL.sandbox] !== undefined || (runId !== undefined && isRunAlive(runId))) continue
    const name = (info.Names[0] ?? info.Id).replace(/^\//, '')
    const service = info.Labels[LABEL.service]
    leaks.push({kind: 'container', id: info.Id, name, runId, job: info.Labels[LABEL.job], ...(service === undefined ? {} : {service}), projectDir: info.Labels[LABEL.projectDir]})
  }
  for (const info of networks) {
    const runId = info.Labels?.[LABEL.run]
    if (runId !== undefined && isRunAlive(runId)) continue
    leaks.push({kind: 'network', id: info.Id, name: info.Name, runId, job: info.Labels?.[LABEL.job], projectDir: info.Labels?.[LABEL.projectDir]})
  }
  return leaks
}
