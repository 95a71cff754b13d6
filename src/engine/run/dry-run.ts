import type {PreparedRun} from './start-run.js'
import {openRunCache} from '../cache/open.js'
import {planKeys, type PlannedKey} from '../cache/plan-keys.js'
import {remoteOption} from '../cache/remote/open.js'

/** Keys every planned job without running anything; Docker is asked only for image IDs. */
export async function dryRunKeys(prepared: PreparedRun): Promise<PlannedKey[]> {
  const {config, pipeline, plan, request, imageId, hostKey, signer} = prepared
  const projectFiles = await prepared.projectFiles()
  const remote = await remoteOption(config.cache.remote, request.env)
  const cache = openRunCache({config, pipeline, projectFiles, envOverrides: request.envOverrides, noCache: request.noCache, signer, ...remote})
  try {
    return await planKeys(plan, cache, imageId, hostKey)
  } finally {
    cache.finish()
  }
}
