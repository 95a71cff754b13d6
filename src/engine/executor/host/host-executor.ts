import {spawn} from 'node:child_process'
import {lstatSync, readFileSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import type {Readable} from 'node:stream'

import {formatDuration} from '../../duration.js'
import {OrcaError} from '../../errors.js'
import {DEFAULT_SHELL, shellInvocation} from '../../pipeline/shell.js'
import {collectFromArchives} from '../archive/collect.js'
import {UnsafeArchiveError} from '../archive/extract.js'
import {treeArchive} from '../archive/pack.js'
import {collectsArtifacts, finishStep, holdFailedStep, startStep, stepRuns} from '../step-rules.js'
import {keepsContainer} from '../docker/policy.js'
import {shellCommand} from '../shell.js'
import type {Executor, ExecutorEvent, JobContext, JobOutcome, Leak, RunOutcomeStatus, ShellTerminal, StepResult} from '../types.js'
import {PausableTimer} from '../../pausable-timer.js'
import {hostBaseEnv} from './host-env.js'
import {exitCodeOf, startGroup, type ProcessGroup} from './process-group.js'
import {layOutWorkspace, WorkFolder} from './work-folder.js'

export interface HostExecutorOptions {
  /** The folder a job of a run works in (made fresh, then removed or kept by its cleanup policy). */
  workDir: (runId: string, job: string) => string
  /** orca's environment: the host basics steps get beneath the job's env (see hostBaseEnv). */
  env: NodeJS.ProcessEnv
  /** Time between SIGTERM and SIGKILL when a step or job is stopped. */
  graceMs?: number
  maxArtifactBytes?: number
  maxArtifactEntries?: number
}

/** GitHub's limit on a job's outputs, as one file (as for a container job). */
const MAX_OUTPUTS_BYTES = 1024 * 1024
/** How long a step's output may keep arriving after its shell exited (from processes it left running). */
const OUTPUT_DRAIN_MS = 200

/**
 * Runs the step's command with its stderr joined to its stdout (`exec` keeps one process, the group's
 * leader), so its output keeps the order it was written in, as in a container.
 */
const JOIN_STDERR = ['sh', '-c', 'exec "$@" 2>&1', 'sh']

type StopReason = 'timed_out' | 'cancelled'

/**
 * Runs `runs-on: host` jobs on this machine (docs/running.md): each in a fresh folder holding its
 * inputs and its needs' artifacts as a container's workdir holds them, steps with the same shell,
 * env and outputs file, each step the leader of its own process group so a timeout or a cancel stops
 * everything it started (SIGTERM to the group, SIGKILL after the grace period), artifacts and reports
 * collected through the same archive path as from a container. Whatever a step left running is killed
 * when the job ends, as a container's processes die with it. Needs no Docker engine.
 */
export class HostExecutor implements Executor {
  private readonly graceMs: number
  private readonly limits: {maxBytes: number; maxEntries: number}
  /** The folders and process groups of jobs still running, by run: what `cleanup` stops and removes. */
  private readonly live = new Map<string, Set<LiveJob>>()

  constructor(private readonly options: HostExecutorOptions) {
    this.graceMs = options.graceMs ?? 5_000
    this.limits = {maxBytes: options.maxArtifactBytes ?? 2 * 1024 ** 3, maxEntries: options.maxArtifactEntries ?? 100_000}
  }

  /** Nothing to prepare: a host job has no image. */
  async prepare(): Promise<Map<string, string>> {
    return new Map()
  }

  async runJob(ctx: JobContext): Promise<JobOutcome> {
    const {job} = ctx
    const live: LiveJob = {groups: new Set()}
    const jobs = this.live.get(ctx.runId) ?? new Set()
    this.live.set(ctx.runId, jobs.add(live))
    const stop = new GroupStopper(live.groups, this.graceMs)
    const onCancel = (): void => stop.stop('cancelled', `job "${job.name}" was cancelled`)
    const onForce = (): void => stop.stop('cancelled', `job "${job.name}" was cancelled`, true)
    const jobTimer = new PausableTimer(() => stop.stop('timed_out', `job "${job.name}" exceeded its timeout of ${formatDuration(job.timeoutMs)}`), job.timeoutMs)
    ctx.cancel.addEventListener('abort', onCancel, {once: true})
    ctx.force.addEventListener('abort', onForce, {once: true})
    if (ctx.cancel.aborted) onCancel()
    if (ctx.force.aborted) onForce()

    const steps: StepResult[] = []
    let failed = false
    let error: JobOutcome['error']
    let artifacts: JobOutcome['artifacts'] = []
    let reports: JobOutcome['reports']
    let outputText: string | undefined
    try {
      if (stop.reason) throw new OrcaError('cancelled', stop.message ?? 'stopped')
      // Process groups (and sh) are what make a timeout stop a step's every process; Windows has neither.
      if (process.platform === 'win32') throw new OrcaError('infra', 'runs-on: host needs a POSIX system (Linux or macOS); on Windows, run orca under WSL')
      live.folder = WorkFolder.create(this.options.workDir(ctx.runId, job.name), ctx.runId, job.name)
      const folder = live.folder
      layOutWorkspace(folder.workspace, ctx.projectDir, ctx.inputFiles, ctx.needArtifacts, ctx.blobs)
      if (ctx.outputFile !== undefined) writeFileSync(folder.outputFile, '', {mode: 0o644})
      const env = {...hostBaseEnv(this.options.env), ...ctx.env, ...(ctx.outputFile !== undefined ? {ORCA_OUTPUT: folder.outputFile} : {})}
      for (const [index, step] of job.steps.entries()) {
        // After a timeout or a cancel no step runs, whatever its `when`.
        if (stop.reason) break
        if (!stepRuns(step.when, failed)) {
          steps.push(finishStep(ctx, index, step, 'skipped', null, 0))
          continue
        }
        const result = await this.runStep(ctx, index, folder, {...env, ...step.env}, stop)
        steps.push(result)
        if (result.status !== 'succeeded' && !step.allowFailure) {
          failed = true
          if (result.status === 'failed' && ctx.onStepFailed) await holdForShell(ctx, index, result.exitCode, folder.workspace, {...env, ...step.env}, jobTimer)
        }
      }
      // Read through a call: a timer may have stopped the job while the steps ran.
      const ended: RunOutcomeStatus = stop.why() ?? (failed ? 'failed' : 'succeeded')
      // What steps left running is stopped before anything is collected, as a container is.
      stop.killAll()
      if (collectsArtifacts(job, ended)) artifacts = await this.collect(ctx, folder, job.artifacts, ctx.artifactsDir, ended !== 'succeeded', 'artifacts')
      if (job.reports && ended !== 'cancelled') reports = await this.collect(ctx, folder, job.reports.junit, ctx.reportsDir, true, 'reports')
      if (ctx.outputFile !== undefined && ended !== 'cancelled') outputText = readOutputs(ctx, folder.outputFile)
    } catch (caught) {
      error = stop.reason
        ? {kind: stop.reason === 'timed_out' ? 'timeout' : 'cancelled', message: stop.message ?? ''}
        : caught instanceof UnsafeArchiveError
          ? {kind: 'artifact', message: caught.message}
          : {kind: 'infra', message: caught instanceof Error ? caught.message : String(caught)}
    } finally {
      stop.killAll()
      jobTimer.clear()
      ctx.cancel.removeEventListener('abort', onCancel)
      ctx.force.removeEventListener('abort', onForce)
    }
    const status: RunOutcomeStatus = stop.reason ?? (failed || error ? 'failed' : 'succeeded')
    if (!error && stop.reason) error = {kind: stop.reason === 'timed_out' ? 'timeout' : 'cancelled', message: stop.message ?? ''}
    for (let index = steps.length; index < job.steps.length; index++) steps.push(finishStep(ctx, index, job.steps[index]!, 'skipped', null, 0))
    const {cleanup, workDir} = this.finish(live.folder, ctx, status)
    jobs.delete(live)
    if (jobs.size === 0) this.live.delete(ctx.runId)
    stop.dispose()
    return {
      status,
      steps,
      artifacts,
      cleanup,
      ...(workDir !== undefined ? {workDir} : {}),
      ...(reports ? {reports} : {}),
      ...(outputText !== undefined ? {outputText} : {}),
      ...(error ? {error} : {}),
    }
  }

  /** Stops what a run's jobs still run and removes their folders (after a crash or a cancel); kept folders stay. */
  async cleanup(runId: string): Promise<void> {
    for (const live of this.live.get(runId) ?? []) {
      for (const group of live.groups) group.signal('SIGKILL')
    }
  }

  /** Host work folders left by dead runs are found by `orca clean --leaks` from the runs directory (see findHostLeaks). */
  async findLeaks(): Promise<Leak[]> {
    return []
  }

  private async runStep(ctx: JobContext, index: number, folder: WorkFolder, env: Record<string, string>, stop: GroupStopper): Promise<StepResult> {
    const {step, startedAt, disarm} = startStep(ctx, index, (message) => stop.stop('timed_out', message))
    try {
      const group = startGroup([...JOIN_STDERR, ...hostStepCommand(step, index, folder)], {cwd: folder.workspace, env})
      if (group.child.pid !== undefined) folder.addGroup(group.child.pid)
      stop.add(group)
      const output = relayOutput(group, index, ctx.emit)
      const exit = await group.exited
      await output.drained(OUTPUT_DRAIN_MS)
      const status = stop.reason ?? (exit.code === 0 ? 'succeeded' : 'failed')
      return finishStep(ctx, index, step, status, stop.reason ? null : exitCodeOf(exit), Date.now() - startedAt)
    } finally {
      disarm()
    }
  }

  /**
   * Collects what matches `globs` from the workspace into `destDir`, through the same archive reader as
   * a container's files. After the job's end was decided (`afterEnd`), a failure is a warning.
   */
  private async collect(
    ctx: JobContext,
    folder: WorkFolder,
    globs: string[],
    destDir: string,
    afterEnd: boolean,
    what: 'artifacts' | 'reports',
  ): Promise<JobOutcome['artifacts']> {
    try {
      return await collectFromArchives(async (source) => archiveOf(source), folder.workspace, globs, destDir, this.limits, {
        blobs: ctx.blobs,
        signal: ctx.cancel,
        rename: ctx.maskPath,
        onWarning: (warning) => ctx.emit({type: 'job.warning', warning}),
      })
    } catch (caught) {
      if (!afterEnd) throw caught
      const message = caught instanceof Error ? caught.message : String(caught)
      ctx.emit({type: 'job.warning', warning: {kind: 'collect-failed', message: `its ${what} could not be collected: ${message}`}})
      return []
    }
  }

  /** Removes the job's folder, or keeps it (marked so `orca clean --leaks` leaves it) when its policy says so. */
  private finish(folder: WorkFolder | undefined, ctx: JobContext, status: RunOutcomeStatus): {cleanup: JobOutcome['cleanup']; workDir?: string} {
    if (!folder) return {cleanup: 'none'}
    try {
      if (keepsContainer(ctx.cleanup, status)) {
        folder.keep()
        return {cleanup: 'kept', workDir: folder.dir}
      }
      folder.remove()
      return {cleanup: 'removed'}
    } catch {
      // Left for `orca clean --leaks`: a cleanup failure does not change how the job ended.
      return {cleanup: 'none'}
    }
  }
}

interface LiveJob {
  folder?: WorkFolder
  groups: Set<ProcessGroup>
}

/** Stops a job's process groups once, for the first reason given: SIGTERM, then SIGKILL after the grace period. */
class GroupStopper {
  reason?: StopReason
  message?: string
  private killTimer?: NodeJS.Timeout
  private forced = false

  constructor(
    private readonly groups: Set<ProcessGroup>,
    private readonly graceMs: number,
  ) {}

  why(): StopReason | undefined {
    return this.reason
  }

  add(group: ProcessGroup): void {
    this.groups.add(group)
    // A stop asked for before the step started reaches it too.
    if (this.forced) group.signal('SIGKILL')
    else if (this.reason) group.signal('SIGTERM')
  }

  stop(reason: StopReason, message: string, force = false): void {
    if (this.reason === undefined) {
      this.reason = reason
      this.message = message
    }
    if (force) return this.killAll()
    if (this.killTimer) return
    for (const group of this.groups) group.signal('SIGTERM')
    this.killTimer = setTimeout(() => this.killAll(), this.graceMs)
  }

  /** SIGKILL to every group the job started (what is already gone is skipped). */
  killAll(): void {
    this.forced = this.reason !== undefined
    clearTimeout(this.killTimer)
    for (const group of this.groups) group.signal('SIGKILL')
  }

  dispose(): void {
    clearTimeout(this.killTimer)
  }
}

/** Relays a step's stdout and stderr as they arrive; once its shell exited, waits a moment for the rest, then stops reading. */
function relayOutput(group: ProcessGroup, step: number, emit: (event: ExecutorEvent) => void): {drained(ms: number): Promise<void>} {
  const streams = [
    ['stdout', group.child.stdout!],
    ['stderr', group.child.stderr!],
  ] as const
  const closed = streams.map(
    ([stream, readable]) =>
      new Promise<void>((resolve) => {
        readable.on('data', (chunk: Buffer) => emit({type: 'step.output', step, stream, chunk}))
        readable.once('close', resolve)
        readable.once('error', () => resolve())
      }),
  )
  return {
    async drained(ms) {
      // A process the step left in the background may hold the pipes open for ever: not the step's output.
      let timer: NodeJS.Timeout | undefined
      await Promise.race([Promise.all(closed), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))])
      clearTimeout(timer)
      for (const [, readable] of streams) readable.destroy()
    },
  }
}

/** The outputs file the steps wrote; a file that cannot be read is a warning (its dependents get no values). */
function readOutputs(ctx: JobContext, file: string): string | undefined {
  try {
    const stat = lstatSync(file)
    if (!stat.isFile()) throw new Error(`${file} is not a regular file`)
    if (stat.size > MAX_OUTPUTS_BYTES) throw new Error(`${file} holds ${stat.size} bytes; the limit is ${MAX_OUTPUTS_BYTES}`)
    return readFileSync(file, 'utf8')
  } catch (caught) {
    const message = caught instanceof Error ? caught.message : String(caught)
    ctx.emit({type: 'job.warning', warning: {kind: 'outputs-unreadable', message: `its outputs could not be read: ${message}`}})
    return undefined
  }
}

/** A folder or file of the workspace as a tar stream (undefined: nothing there); its errors arrive through the stream. */
function archiveOf(source: string): Readable | undefined {
  const archive = treeArchive(source)
  archive?.done.catch(() => undefined)
  return archive?.stream
}

/**
 * A step's command line on the host: `sh -e -c RUN`, or its `shell:` (bash with pipefail, or a template
 * whose `{0}` is a file beside the workspace holding the step's text). A missing program fails the
 * step as a missing command does (exit 127, said by the shell).
 */
function hostStepCommand(step: {run: string; shell?: string}, index: number, folder: WorkFolder): string[] {
  if (step.shell === undefined || step.shell === DEFAULT_SHELL) return shellCommand(step.run)
  const invocation = shellInvocation(step.shell, step.run, path.join(folder.dir, `step-${index}.script`))
  if (invocation.kind === 'file') writeFileSync(invocation.file, `${step.run}\n`, {mode: 0o700})
  return invocation.argv
}

/** `--interactive` on a host job: the user's shell in the job's folder, with the job's environment. */
async function holdForShell(ctx: JobContext, index: number, exitCode: number | null, workspace: string, env: Record<string, string>, timer: PausableTimer): Promise<void> {
  await holdFailedStep(ctx, index, exitCode, timer, workspace, async (terminal) => hostShell(terminal, workspace, env))
}

/** A shell on the host (the user's own, else sh) that owns the terminal until it exits. */
async function hostShell(terminal: ShellTerminal, cwd: string, env: Record<string, string>): Promise<number | null> {
  // The shell reads the terminal itself, in its own mode: this process stops reading it meanwhile.
  const input = terminal.input as NodeJS.ReadStream
  input.setRawMode?.(false)
  input.pause()
  const shell = spawn(process.env.SHELL ?? 'sh', [], {cwd, env: {...env, TERM: process.env.TERM ?? 'xterm'}, stdio: [input, terminal.output as NodeJS.WriteStream, terminal.output as NodeJS.WriteStream]})
  return new Promise((resolve, reject) => {
    shell.once('error', reject)
    shell.once('close', (code) => resolve(code))
  })
}
