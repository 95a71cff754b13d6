import type {ResolvedConfig} from '../config/types.js'
import {askGit, listProjectFiles, type AskedGit, type ProjectFiles} from '../plan/project-files.js'
import type {Pipeline} from '../pipeline/types.js'
import {gitListingCacheFile, listingCacheFile} from './last.js'
import {RunCache} from './run-cache.js'
import type {RemoteCache} from './remote/remote-cache.js'
import type {EntrySigner} from './signing.js'
import {CacheStore} from './store.js'

/** The run cache for a pipeline under the configured `cacheDir` and `cache.maxSize`. */
export function openRunCache(input: {
  config: ResolvedConfig
  pipeline: Pipeline
  projectFiles: ProjectFiles
  envOverrides: Record<string, string>
  noCache: boolean
  /** Signs and checks entries (see signerOf); resolve it before writing anything, it may throw. */
  signer?: EntrySigner
  /** The clock files are judged too fresh to index by (tests move it). */
  now?: number
  /** The remote cache in front of this one (see openRemoteCache), built on `store`. */
  remote?: (store: CacheStore) => RemoteCache
}): RunCache {
  const store = new CacheStore(input.config.cacheDir, input.signer)
  return new RunCache({
    store,
    ...(input.remote ? {remote: input.remote(store)} : {}),
    projectDir: input.pipeline.projectDir,
    projectFiles: input.projectFiles,
    envOverrides: input.envOverrides,
    noCache: input.noCache,
    maxSizeBytes: input.config.cache.maxSizeBytes,
    now: input.now,
    stateDirs: [input.config.runsDir, input.config.cacheDir],
  })
}

/** The project's files (see listProjectFiles): git's, or a walk's, each with what is unchanged taken from the cache's listings. */
export function projectFilesOf(config: ResolvedConfig, pipeline: Pipeline, env: NodeJS.ProcessEnv, now?: number, asked?: AskedGit): Promise<ProjectFiles> {
  return listProjectFiles(
    pipeline.projectDir,
    {
      ...gitOptions(config, pipeline.projectDir, env, now),
      pipelineFile: pipeline.file,
      includedFiles: pipeline.includes?.map((included) => included.file),
      configFile: config.file,
      listingCache: listingCacheFile(config.cacheDir, pipeline.projectDir),
    },
    asked,
  )
}

/** git asked for the files of the project in `projectDir` now (see askGit), for `projectFilesOf` to take once the pipeline is read. */
export function askGitOf(config: ResolvedConfig, projectDir: string, env: NodeJS.ProcessEnv): AskedGit {
  return askGit(projectDir, gitOptions(config, projectDir, env))
}

function gitOptions(config: ResolvedConfig, projectDir: string, env: NodeJS.ProcessEnv, now?: number) {
  return {gitListingCache: gitListingCacheFile(config.cacheDir, projectDir), stateDirs: [config.runsDir, config.cacheDir], env, now}
}
