import {loadConfig} from '../config/load.js'
import {planRun} from '../plan/plan.js'
import {loadPipeline} from '../pipeline/load.js'
import {explainJob, type Explanation} from './explain.js'
import {imageIdResolver} from './image-id.js'
import {parsedPipelinesDir} from './last.js'
import {openRunCache, projectFilesOf} from './open.js'
import {signerOf} from './signing.js'

export interface ExplainRequest {
  cwd: string
  env: NodeJS.ProcessEnv
  /** Pipeline file, relative to cwd. */
  file: string
  job: string
  /** `-e K=V` as the run would get them: they are part of the key. */
  envOverrides: Record<string, string>
}

/** `orca explain JOB`: loads the project, keys the job and its needs, compares with the last cached key. */
export async function explainTarget(request: ExplainRequest): Promise<Explanation> {
  const config = await loadConfig({cwd: request.cwd, env: request.env})
  const pipeline = await loadPipeline(request.file, {cwd: request.cwd, defaults: config.defaults, parseCacheDir: parsedPipelinesDir(config.cacheDir)})
  const plan = planRun(pipeline, [request.job])
  const projectFiles = projectFilesOf(config, pipeline)
  const cache = openRunCache({config, pipeline, projectFiles, envOverrides: request.envOverrides, noCache: false, signer: signerOf(config.cache.signing, request.env)})
  try {
    return await explainJob(plan, cache, imageIdResolver({host: config.docker.host, env: request.env}), request.job)
  } finally {
    cache.finish()
  }
}
