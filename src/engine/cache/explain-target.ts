import {loadConfig} from '../config/load.js'
import {OrcaError} from '../errors.js'
import {hostKeyResolver} from '../executor/host/key-commands.js'
import {ownValue} from '../name-table.js'
import type {ResolvedConfig} from '../config/types.js'
import {bindHostEnvironment} from '../plan/host-environment.js'
import {planRun, type Plan} from '../plan/plan.js'
import {orcaStateDirs, relativeToProject, type ProjectFiles} from '../plan/project-files.js'
import {loadPipeline} from '../pipeline/load.js'
import type {Pipeline} from '../pipeline/types.js'
import {explainJob, type Explanation} from './explain.js'
import {listInputs, type InputsReport} from './explain-inputs.js'
import {imageIdResolver} from './image-id.js'
import {parsedPipelinesDir} from './last.js'
import {openRunCache, projectFilesOf} from './open.js'
import {remoteOption} from './remote/open.js'
import {signerOf} from './signing.js'

export interface ExplainRequest {
  cwd: string
  /** The project's folder, where the config search starts; default: cwd. */
  projectDir?: string
  env: NodeJS.ProcessEnv
  /** Pipeline file, relative to cwd. */
  file: string
  job: string
  /** `-e K=V` as the run would get them: they are part of the key. */
  envOverrides: Record<string, string>
  /** Told one line the user should see (e.g. git is missing, so inputs follow the ignore files). */
  onNotice?: (message: string) => void
}

interface LoadedProject {
  config: ResolvedConfig
  pipeline: Pipeline
  plan: Plan
  projectFiles: ProjectFiles
}

async function loadProject(request: ExplainRequest): Promise<LoadedProject> {
  const config = await loadConfig({cwd: request.cwd, projectDir: request.projectDir, env: request.env})
  const pipeline = await loadPipeline(request.file, {cwd: request.cwd, defaults: config.defaults, parseCacheDir: parsedPipelinesDir(config.cacheDir)})
  const expansions = ownValue(pipeline.matrices, request.job)
  if (expansions !== undefined) {
    // Each expansion has a key of its own: there is no one answer for the matrix.
    throw new OrcaError('usage', `"${request.job}" is a matrix job; explain one of its expansions: ${expansions.join(', ')}`)
  }
  const plan = bindHostEnvironment(planRun(pipeline, [request.job]), pipeline.projectDir, request.env)
  const projectFiles = await projectFilesOf(config, pipeline, request.env)
  if (projectFiles.notice !== undefined) request.onNotice?.(projectFiles.notice)
  return {config, pipeline, plan, projectFiles}
}

/** `orca explain JOB`: loads the project, keys the job and its needs, compares with the last cached key. */
export async function explainTarget(request: ExplainRequest): Promise<Explanation> {
  const {config, pipeline, plan, projectFiles} = await loadProject(request)
  const remote = await remoteOption(config.cache.remote, request.env)
  const cache = openRunCache({config, pipeline, projectFiles, envOverrides: request.envOverrides, noCache: false, signer: signerOf(config.cache.signing, request.env), ...remote})
  try {
    const hostKey = hostKeyResolver({cwd: pipeline.projectDir, env: request.env, envOverrides: request.envOverrides})
    return await explainJob(plan, cache, imageIdResolver({host: config.docker.host, env: request.env}), hostKey, request.job)
  } finally {
    cache.finish()
  }
}

/** `orca explain JOB --inputs / --why PATH`: the job's input files, and why each asked path is one or not. Nothing is hashed. */
export async function explainTargetInputs(request: ExplainRequest, ask: {list: boolean; paths: string[]}): Promise<InputsReport> {
  const {config, pipeline, projectFiles} = await loadProject(request)
  const projectDir = pipeline.projectDir
  return await listInputs(
    {
      projectDir,
      project: projectFiles,
      job: pipeline.jobs.get(request.job)!,
      stateDirs: orcaStateDirs(projectDir, [config.runsDir, config.cacheDir]),
      pipelineFile: relativeToProject(projectDir, pipeline.file),
      includedFiles: pipeline.includes?.map((included) => relativeToProject(projectDir, included.file)).filter((f): f is string => f !== undefined),
      configFile: relativeToProject(projectDir, config.file),
      env: request.env,
    },
    {...ask, cwd: request.cwd},
  )
}
