import type {ResolvedConfig} from '../config/types.js'
import {indexProjectFiles} from '../plan/inputs.js'
import type {Pipeline} from '../pipeline/types.js'
import {listingCacheFile} from './last.js'
import {RunCache} from './run-cache.js'
import type {EntrySigner} from './signing.js'
import {CacheStore} from './store.js'

/** The run cache for a pipeline under the configured `cacheDir` and `cache.maxSize`. */
export function openRunCache(input: {
  config: ResolvedConfig
  pipeline: Pipeline
  projectFiles: string[]
  envOverrides: Record<string, string>
  noCache: boolean
  /** Signs and checks entries (see signerOf); resolve it before writing anything, it may throw. */
  signer?: EntrySigner
}): RunCache {
  return new RunCache({
    store: new CacheStore(input.config.cacheDir, input.signer),
    projectDir: input.pipeline.projectDir,
    projectFiles: input.projectFiles,
    envOverrides: input.envOverrides,
    noCache: input.noCache,
    maxSizeBytes: input.config.cache.maxSizeBytes,
  })
}

/** The project's files (see indexProjectFiles), with unchanged directories taken from the cache's listing. */
export function projectFilesOf(config: ResolvedConfig, pipeline: Pipeline): string[] {
  return indexProjectFiles(pipeline.projectDir, {listingCache: listingCacheFile(config.cacheDir, pipeline.projectDir)})
}
