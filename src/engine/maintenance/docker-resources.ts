import type Docker from 'dockerode'

import {listing, withTimeout} from '../executor/docker/call.js'
import {KEPT_REPOSITORY, LABEL, scopeFilter} from '../executor/docker/container-spec.js'
import type {ResourceScope} from '../executor/types.js'
import type {ProcessIdentity} from '../process-identity.js'

export {listKept, removeKeptContainer, removeKeptImage, type KeptContainer} from '../executor/docker/kept.js'

/** The owner recorded on each run's containers in `scope`, by run id (for runs this project's runsDir does not know). */
export async function containerOwners(docker: Docker, scope: ResourceScope): Promise<Map<string, ProcessIdentity>> {
  const list = await listing(() => docker.listContainers({all: true, filters: {label: scopeFilter(scope)}}), 'list containers')
  const owners = new Map<string, ProcessIdentity>()
  for (const info of list) {
    const runId = info.Labels[LABEL.run]
    const pid = Number(info.Labels[LABEL.pid])
    const host = info.Labels[LABEL.host]
    const startTime = info.Labels[LABEL.pidStart]
    if (runId === undefined || host === undefined || startTime === undefined || !Number.isInteger(pid)) continue
    owners.set(runId, {pid, host, startTime})
  }
  return owners
}

/**
 * Images of kept containers in `scope` whose container is gone (removed by hand, or orca died between
 * commit and create). A committed image carries its container's labels, the project's included.
 */
export async function listOrphanKeptImages(docker: Docker, scope: ResourceScope): Promise<{id: string; name: string; projectDir?: string}[]> {
  const [images, containers] = await Promise.all([
    listing(() => docker.listImages({filters: {label: scopeFilter(scope), reference: [`${KEPT_REPOSITORY}:*`]}}), 'list images'),
    listing(() => docker.listContainers({all: true}), 'list containers'),
  ])
  const used = new Set(containers.map((c) => c.ImageID))
  return images
    .filter((image) => !used.has(image.Id))
    .map((image) => ({
      id: image.Id,
      name: image.RepoTags?.map(shortTag).find((t) => t.startsWith(`${KEPT_REPOSITORY}:`)) ?? image.Id,
      projectDir: image.Labels?.[LABEL.projectDir],
    }))
}

/** Named volumes orca created for `volumes:` in jobs.yml, in `scope`. */
export async function listVolumes(docker: Docker, scope: ResourceScope): Promise<{name: string; volume?: string; projectDir?: string}[]> {
  const result = await listing(() => docker.listVolumes({filters: {label: scopeFilter(scope)}}), 'list volumes')
  return (result.Volumes ?? []).map((v) => ({name: v.Name, volume: v.Labels?.[LABEL.volume], projectDir: v.Labels?.[LABEL.projectDir]}))
}

/** Removes a volume; returns false when a container still uses it. */
export async function removeVolume(docker: Docker, name: string): Promise<boolean> {
  return removeUnlessUsed(docker.getVolume(name).remove(), 'remove volume')
}

/** Awaits a removal: true once the thing is gone (404: gone already), false when a container still uses it (409). */
async function removeUnlessUsed(removal: Promise<unknown>, what: string): Promise<boolean> {
  try {
    await withTimeout(removal, what)
    return true
  } catch (error) {
    const code = (error as {statusCode?: number}).statusCode
    if (code === 404) return true
    if (code === 409) return false
    throw error
  }
}

/** A tag as orca wrote it: Podman names a local image `localhost/…` or `docker.io/…` where Docker names it as tagged. */
function shortTag(tag: string): string {
  return tag.replace(/^(?:localhost|docker\.io)\//, '')
}

/** Images orca built from a project (`image: {build}`), in `scope`, with their tags. */
export async function listBuiltImages(docker: Docker, scope: ResourceScope): Promise<{id: string; tags: string[]; build?: string; projectDir?: string}[]> {
  // Filtered by the build label alone, the scope here: Podman answers a filter of several labels with nothing.
  const images = await listing(() => docker.listImages({filters: {label: [LABEL.build]}}), 'list images')
  const inScope = images.filter((image) => image.Labels?.[LABEL.managed] === 'true' && ('allProjects' in scope || image.Labels?.[LABEL.project] === scope.projectId))
  return inScope.map((image) => ({
    id: image.Id,
    tags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>').map(shortTag),
    build: image.Labels?.[LABEL.build],
    projectDir: image.Labels?.[LABEL.projectDir],
  }))
}

/** Removes an image (never by force); returns false when a container still uses it. */
export async function removeImage(docker: Docker, imageId: string): Promise<boolean> {
  return removeUnlessUsed(docker.getImage(imageId).remove(), 'remove image')
}
