import type Docker from 'dockerode'

import {isExpired} from '../../expiry.js'
import {listing, withTimeout} from './call.js'
import {LABEL, scopeFilter} from './container-spec.js'
import {removeContainer} from './resources.js'
import type {ResourceScope} from '../types.js'

/** A container kept by policy and the image holding its filesystem. */
export interface KeptContainer {
  id: string
  name: string
  imageId: string
  runId?: string
  job?: string
  projectDir?: string
  /** Its `keep_for` expiry (ISO time); undefined = kept until removed by hand. */
  keptUntil?: string
}

/** Containers kept by policy in `scope`. */
export async function listKept(docker: Docker, scope: ResourceScope): Promise<KeptContainer[]> {
  const filters = {label: [...scopeFilter(scope), `${LABEL.kept}=true`]}
  const list = await listing(() => docker.listContainers({all: true, filters}), 'list containers')
  return list.map((info) => ({
    id: info.Id,
    name: (info.Names[0] ?? info.Id).replace(/^\//, ''),
    imageId: info.ImageID,
    runId: info.Labels[LABEL.run],
    job: info.Labels[LABEL.job],
    projectDir: info.Labels[LABEL.projectDir],
    ...(info.Labels[LABEL.keepUntil] === undefined ? {} : {keptUntil: info.Labels[LABEL.keepUntil]}),
  }))
}

/** Removes a kept container, then its image (left alone if anything else still uses it). */
export async function removeKeptContainer(docker: Docker, kept: KeptContainer): Promise<void> {
  await removeContainer(docker.getContainer(kept.id))
  await removeKeptImage(docker, kept.imageId)
}

/** Kept containers in `scope` whose `keep_for` has passed by `now`. */
export async function listExpiredKept(docker: Docker, scope: ResourceScope, now: number): Promise<KeptContainer[]> {
  return (await listKept(docker, scope)).filter((kept) => kept.keptUntil !== undefined && isExpired(kept.keptUntil, now))
}

export async function removeKeptImage(docker: Docker, imageId: string): Promise<void> {
  try {
    await withTimeout(docker.getImage(imageId).remove(), 'remove image')
  } catch (error) {
    // Gone already (404) or still used by a container (409): nothing of ours to do.
    const code = (error as {statusCode?: number}).statusCode
    if (code !== 404 && code !== 409) throw error
  }
}

