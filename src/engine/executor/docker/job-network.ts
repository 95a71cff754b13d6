import type Docker from 'dockerode'
import type {ProjectIdentity} from '../../project-identity.js'
import {statusCode, withTimeout} from './call.js'
import {containerName, LABEL, ownerLabels} from './container-spec.js'

/** The network of one job with services: `orca-<run>-<job>`, like its container (networks have names of their own). */
export function jobNetworkName(runId: string, job: string, attempt = 1): string {
  return containerName(runId, job, attempt)
}

/**
 * Creates the user-defined bridge network a job and its services share (Docker's DNS answers service
 * names and aliases there), labelled with its owner like the job's container so a crash leaves a leak
 * `orca clean --leaks` finds. Returns its name.
 */
export async function createJobNetwork(docker: Docker, runId: string, job: string, project: ProjectIdentity, attempt = 1): Promise<string> {
  const name = jobNetworkName(runId, job, attempt)
  await withTimeout(
    docker.createNetwork({Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: {...ownerLabels(runId, job, project), [LABEL.job]: job}}),
    `create network ${name}`,
  )
  return name
}

/** Removes a network; one already gone is fine. */
export async function removeNetwork(docker: Docker, idOrName: string): Promise<void> {
  try {
    await withTimeout(docker.getNetwork(idOrName).remove(), 'remove network')
  } catch (error) {
    if (statusCode(error) !== 404) throw error
  }
}

/** Removes every network of a run (after its containers: a network with endpoints cannot go). */
export async function removeRunNetworks(docker: Docker, runId: string): Promise<void> {
  const networks = await withTimeout(docker.listNetworks({filters: {label: [`${LABEL.managed}=true`, `${LABEL.run}=${runId}`]}}), 'list networks')
  for (const network of networks) await removeNetwork(docker, network.Id)
}
