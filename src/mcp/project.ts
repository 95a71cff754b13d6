import * as path from 'node:path'

import {servedPipelinePath} from '../engine/config/file.js'
import {loadConfig} from '../engine/config/load.js'
import type {ResolvedConfig} from '../engine/config/types.js'
import {OrcaError} from '../engine/errors.js'
import {parsedPipelinesDir} from '../engine/cache/last.js'
import {ownValue} from '../engine/name-table.js'
import {loadPipeline} from '../engine/pipeline/load.js'
import type {Pipeline} from '../engine/pipeline/types.js'
import {resolveRunId} from '../engine/records/run-id.js'
import {Redactor} from './redact.js'

/** The project orca mcp serves, found at start as every command finds its own. */
export interface McpProjectLocation {
  /** The working directory orca mcp was started in. */
  cwd: string
  /** The project's folder: the config search starts here, `.orca/` lives here by default. */
  projectDir: string
  /** The default pipeline file, relative to cwd as the loaders take it. */
  file: string
}

/**
 * What every tool needs of the project: its configuration and pipeline, read afresh on each call
 * (the agent edits them between calls), and the secret values nothing may return unmasked.
 */
export class McpProject {
  /** Every secret value a pipeline loaded here names: once seen, masked for the rest of the session. */
  private readonly secretValues = new Set<string>()

  constructor(
    readonly location: McpProjectLocation,
    readonly env: NodeJS.ProcessEnv,
  ) {
    // orca's own token for `orca serve` is a secret of the user's, whatever the pipeline says.
    if (env.ORCA_TOKEN) this.secretValues.add(env.ORCA_TOKEN)
  }

  get projectDir(): string {
    return this.location.projectDir
  }

  /**
   * The pipeline file a tool names, relative to the project (`ci/jobs.yml`), as the loaders take it;
   * the project's own when none is named. Only .yml/.yaml files inside the project.
   */
  pipelineFile(file: string | undefined): string {
    if (file === undefined) return this.location.file
    const normal = servedPipelinePath(file)
    if (normal === undefined) {
      throw new OrcaError('usage', `${JSON.stringify(file)} is not a pipeline file of this project`, {
        hint: 'name a .yml or .yaml file relative to the project folder, without ".." and not absolute (default: the project\'s jobs.yml)',
      })
    }
    return path.relative(this.location.cwd, path.join(this.location.projectDir, normal)) || normal
  }

  config(): Promise<ResolvedConfig> {
    return loadConfig({cwd: this.location.cwd, projectDir: this.location.projectDir, env: this.env})
  }

  /** The configuration and the pipeline, as `orca validate` loads them; throws ConfigError with every problem. */
  async load(file?: string): Promise<{config: ResolvedConfig; pipeline: Pipeline; file: string}> {
    const relative = this.pipelineFile(file)
    const config = await this.config()
    const pipeline = await loadPipeline(relative, {cwd: this.location.cwd, defaults: config.defaults, parseCacheDir: parsedPipelinesDir(config.cacheDir)})
    this.rememberSecretsOf(pipeline)
    return {config, pipeline, file: relative}
  }

  /** Secret values resolved for a run are masked in everything returned afterwards. */
  rememberSecrets(values: Iterable<string>): void {
    for (const value of values) this.secretValues.add(value)
  }

  /** A masker for the secrets of the project's pipeline as it is now, and every one seen before. */
  async redactor(): Promise<Redactor> {
    // A pipeline that does not load names no new secrets; the ones seen so far still count.
    await this.load().catch(() => undefined)
    return new Redactor(this.secretValues)
  }

  /** A run id from what an agent typed: an id, a unique prefix of one, or `latest`. */
  async resolveRun(ref: string): Promise<{config: ResolvedConfig; id: string}> {
    const config = await this.config()
    return {config, id: await resolveRunId(config.runsDir, ref)}
  }

  private rememberSecretsOf(pipeline: Pipeline): void {
    for (const job of pipeline.jobs.values()) {
      for (const name of job.secrets) {
        const value = ownValue(this.env, name)
        if (value !== undefined) this.secretValues.add(value)
      }
    }
  }
}
