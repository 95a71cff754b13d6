import {loadConfig} from '../engine/config/load.js'
import {OrcaError} from '../engine/errors.js'
import {inspectRun} from '../engine/history/abandon.js'
import {loadPipeline} from '../engine/pipeline/load.js'
import {projectFilesOf} from '../engine/cache/open.js'
import {CacheStore} from '../engine/cache/store.js'
import {readJobArtifacts} from '../engine/history/artifacts.js'
import type {Job, Pipeline} from '../engine/pipeline/types.js'
import {jobInputFiles} from '../engine/plan/inputs.js'
import {projectIdentity} from '../engine/project-identity.js'
import {jobRecordOf} from '../engine/records/record.js'
import {resolveRunId} from '../engine/records/run-id.js'
import {jobEnv} from '../engine/run/secrets.js'
import {terminalOf} from './failed-step-shell.js'
import {locateProject} from './project.js'

export interface JobShellArgs {
  /** Run id, prefix or `latest`. */
  run: string
  job: string
  /** `-- COMMAND...`: run it instead of a shell. */
  command?: string[]
  file?: string
}

/**
 * `orca shell`: a shell (or one command) in the container kept for a finished job, started with the
 * filesystem it ended with, the job's workdir and environment; returns the exit code to pass on.
 */
export async function jobShell(args: JobShellArgs): Promise<number> {
  const stdin = process.stdin
  const tty = stdin.isTTY === true && process.stdout.isTTY === true
  if (args.command === undefined && !tty) {
    throw new OrcaError('usage', 'orca shell opens an interactive shell and needs a terminal', {hint: 'run one command instead: orca shell RUN JOB -- COMMAND...'})
  }
  const project = locateProject({cwd: process.cwd(), file: args.file, stderr: process.stderr, needsJobsFile: false})
  const config = await loadConfig({cwd: project.cwd, projectDir: project.projectDir, env: process.env})
  const runId = await resolveRunId(config.runsDir, args.run)
  const record = await inspectRun(config.runsDir, runId)
  const job = jobRecordOf(record, args.job)
  if (job === undefined) {
    throw new OrcaError('usage', `run ${runId} has no job "${args.job}"`, {hint: `its jobs: ${Object.keys(record.jobs).join(', ') || 'none'}`})
  }
  if (job.executor === 'host') {
    throw new OrcaError('usage', `job "${args.job}" ran on the host, not in a container`, {
      hint: job.workDir ? `its folder was kept: cd ${job.workDir}` : 'a host job keeps its folder under a policy that keeps (cleanup:), then cd into it',
    })
  }
  const pipeline = await loadedPipeline(project.cwd, project.file, config.defaults)
  const definition = pipeline?.jobs.get(args.job)
  const {connectDocker} = await import('../engine/executor/docker/connect.js')
  const {findKeptContainer, shellInFresh, shellInKept} = await import('../engine/executor/docker/job-shell.js')
  const executor = await connectDocker({host: config.docker.host, env: process.env})
  const scope = {projectId: projectIdentity(project.projectDir).id}
  const kept = await findKeptContainer(executor.docker, runId, args.job, scope)
  if (kept === undefined && (pipeline === undefined || definition === undefined || definition.steps.length === 0)) {
    throw new OrcaError('usage', `no container of job "${args.job}" in run ${runId} is kept (its cleanup was: ${job.cleanup ?? 'none'}), and jobs.yml no longer defines it to make a fresh one`, {
      hint: 'keep failed containers with --cleanup remove_on_completion (or cleanup: in jobs.yml), or open a shell when a step fails with orca run -i',
    })
  }
  const terminal = tty && args.command === undefined ? terminalOf(stdin, process.stdout) : {...terminalOf(stdin, process.stdout), errorOutput: process.stderr, tty: false}
  if (terminal.tty !== false) {
    stdin.setRawMode(true)
    stdin.resume()
  }
  try {
    const env = definition ? jobEnv(definition, {}, secretsOf(definition)) : {}
    const cmd = args.command ? {cmd: args.command} : {}
    if (kept !== undefined) return (await shellInKept(executor.docker, kept, {runId, job: args.job, scope, workdir: definition?.workdir ?? '/workspace', env, ...cmd, terminal})) ?? 1
    // Gone (its policy removed it): what the job saw, laid out again in a fresh container.
    process.stderr.write(
      `orca: no container of job "${args.job}" in run ${runId} is kept (cleanup: ${job.cleanup ?? 'none'}); a fresh one from its image, with its inputs as they are now and its needs' artifacts from that run\n`,
    )
    const files = await projectFilesOf(config, pipeline!, process.env)
    const needArtifacts = await Promise.all(definition!.needs.map(async (need) => readJobArtifacts(config.runsDir, record, need)))
    const fresh = {runId, job: definition!, projectDir: pipeline!.projectDir, inputFiles: jobInputFiles(files, definition!), needArtifacts, blobs: new CacheStore(config.cacheDir).blobs, env, ...cmd, terminal}
    return (await shellInFresh(executor.docker, fresh)) ?? 1
  } finally {
    if (terminal.tty !== false) {
      stdin.setRawMode(false)
      stdin.pause()
    }
  }
}

/** The pipeline as jobs.yml defines it now (a job's env, workdir, inputs); undefined when it does not load. */
async function loadedPipeline(cwd: string, file: string, defaults: Parameters<typeof loadPipeline>[1]['defaults']): Promise<Pipeline | undefined> {
  try {
    return await loadPipeline(file, {cwd, defaults})
  } catch {
    return undefined
  }
}

/** The job's secrets that orca's environment holds (the shell is the user's own: values, not masks). */
function secretsOf(job: Job): Record<string, string> {
  return Object.fromEntries(job.secrets.flatMap((name) => (Object.hasOwn(process.env, name) ? [[name, process.env[name]!]] : [])))
}
