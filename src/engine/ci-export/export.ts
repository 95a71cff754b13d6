import {readFileSync} from 'node:fs'
import * as path from 'node:path'

import {loadConfig} from '../config/load.js'
import {OrcaError} from '../errors.js'
import {readSettings} from '../init/render.js'
import {writeFilesAtomically} from '../init/write.js'
import {loadPipeline} from '../pipeline/load.js'
import {fanOut, type CiJob} from './fan-out.js'
import {GENERATED_FILES, GENERATED_MARK, renderGithubWorkflow, renderGitlabPipeline, type CacheCarrier, type CiVendor, type GitlabRunner} from './render.js'
import {staleness} from './staleness.js'

export interface CiExportOptions {
  vendor: CiVendor
  cwd: string
  projectDir: string
  /** The pipeline file, relative to cwd. */
  file: string
  targets: string[]
  groups: string[]
  /** Where the file goes, relative to cwd; `-` = stdout (the caller prints `text`). Default: the vendor's place in the project. */
  output?: string
  /** Compare with the file instead of writing it. */
  check: boolean
  /** Overwrite a file `orca ci` did not write. */
  force: boolean
  /** The install command; default: the one `orca init` writes (this version of orca from npm). */
  install?: string
  orca: string
  cache: CacheCarrier
  secrets: string[]
  runner: GitlabRunner
  env: NodeJS.ProcessEnv
}

export interface CiExportResult {
  /** The file's path relative to cwd, or `-`. */
  output: string
  text: string
  jobs: CiJob[]
  /** With `check`: what differs (empty: up to date). */
  stale?: string[]
  written: boolean
}

/** `orca ci github|gitlab`: the pipeline's DAG as a CI file, written, printed, or checked against the one committed. */
export async function exportCi(options: CiExportOptions): Promise<CiExportResult> {
  for (const name of options.secrets) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new OrcaError('usage', `--secret ${JSON.stringify(name)} is not a variable name`, {hint: 'letters, digits and _, not starting with a digit'})
  }
  const config = await loadConfig({cwd: options.cwd, projectDir: options.projectDir, env: options.env})
  const pipeline = await loadPipeline(options.file, {cwd: options.cwd, defaults: config.defaults})
  const jobs = fanOut(pipeline, {targets: options.targets, groups: options.groups})
  const output = options.output ?? path.relative(options.cwd, path.join(options.projectDir, GENERATED_FILES[options.vendor]))
  // CI jobs start at the repository's top: the file is named as it is from here, `/`-separated.
  const jobsFile = path.relative(options.cwd, path.resolve(options.cwd, options.file)).split(path.sep).join('/')
  const renderOptions = {jobsFile, install: options.install ?? readSettings().installOrca, orca: options.orca, cache: options.cache, secrets: options.secrets, runner: options.runner}
  const text = options.vendor === 'github' ? renderGithubWorkflow(jobs, renderOptions) : renderGitlabPipeline(jobs, renderOptions)
  if (output === '-') {
    if (options.check) throw new OrcaError('usage', '--check compares with a file: give it with --output FILE, not -')
    return {output, text, jobs, written: false}
  }
  const committed = readIfPresent(path.resolve(options.cwd, output))
  if (options.check) return {output, text, jobs, stale: staleness(options.vendor, committed, text), written: false}
  if (committed !== undefined && !committed.startsWith(GENERATED_MARK) && !options.force) {
    throw new OrcaError('usage', `not overwriting ${output}: orca ci did not write it`, {hint: 'move it away, choose another file with --output, or run again with --force to replace it'})
  }
  if (committed === text) return {output, text, jobs, written: false}
  await writeFilesAtomically(options.cwd, [{path: output, text}])
  return {output, text, jobs, written: true}
}

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new OrcaError('usage', `cannot read ${file}: ${(error as Error).message}`)
  }
}
