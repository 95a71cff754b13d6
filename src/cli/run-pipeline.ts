import {resolve} from 'node:path'
import type {Writable} from 'node:stream'

import type {JunitReporter} from '../views/run/junit.js'
import type * as LiveViewModule from '../views/live/live-view.js'
import type {EventSink} from '../engine/records/events.js'
import type {RunResult} from '../engine/run/scheduler.js'
import {parseDuration} from '../engine/duration.js'
import {exitCode, OrcaError} from '../engine/errors.js'
import {dockerExecutor, prefetchImageIds, prepareRun, startRun, warmRemote, type PreparedRun, type RunRequest} from '../engine/run/start-run.js'
import {isCi} from '../views/run/ci-environment.js'
import {onBrokenPipe} from './broken-pipe.js'
import {parseEnvFlags} from './env-values.js'
import type {OutputMode} from './flags/run.js'
import {locateProject, noticesTo} from './project.js'
import type {RunArgs} from './run-argv.js'

export interface RunPipelineOptions extends RunRequest {
  dryRun: boolean
  /** With `dryRun`: also list each job's input files. */
  inputs?: boolean
  output: OutputMode
  /** `--junit FILE`: also write a JUnit XML report there (relative to cwd). */
  junit?: string
  orcaVersion: string
  stdout: Writable & {isTTY?: boolean}
  stderr: Writable
  /** Read for Ctrl-C by the live view, and by the shell of `--interactive`. */
  stdin?: NodeJS.ReadStream
  /** `-i`: a shell in a failed step's container (see failedStepShell). */
  interactive?: boolean
  /** `--watch`: run again when inputs change (see watchRuns). */
  watch?: boolean
  /** With `--watch`: aborted when inputs change during the run, which is then cancelled. */
  restart?: AbortSignal
  /** Told of a Ctrl-C or SIGTERM (with `--watch`, it also ends the watch). */
  onInterrupt?: () => void
  /** Told of the run's plan and files once prepared (what `--watch` watches). */
  onPrepared?: (prepared: PreparedRun) => void
}

/** A reporter that says itself that the run is being cancelled (the live view owns the screen), and can step aside for a shell. */
export type Reporter = EventSink & {showCancelling?(count: number): void; pause?(): Promise<void>; resume?(): void}

/** `orca run`'s flags (from oclif or the fast start) as the engine's inputs: the one place they are mapped. */
export function runOptionsOf({targets, flags}: RunArgs) {
  return {
    targets,
    concurrency: flags.concurrency,
    noCache: flags['no-cache'] === true,
    dryRun: flags['dry-run'] === true,
    inputs: flags.inputs === true,
    failFast: flags['fail-fast'] === true,
    output: flags.output,
    junit: flags.junit,
    cleanup: flags.cleanup,
    ...keepForOf(flags['keep-for']),
    needsFromCache: flags['needs-from-cache'] === true,
    envOverrides: parseEnvFlags(flags.env ?? []),
    interactive: flags.interactive === true,
    watch: flags.watch === true,
  } satisfies Partial<RunPipelineOptions>
}

/** `orca run` with parsed arguments, in the project found from this process's directory (or `-f`) and on its streams. */
export async function runCommand(args: RunArgs, orcaVersion: string): Promise<number> {
  const project = locateProject({cwd: process.cwd(), file: args.flags.file, stderr: process.stderr, needsJobsFile: true})
  const options: RunPipelineOptions = {
    ...project,
    ...runOptionsOf(args),
    env: process.env,
    processStartedAt: performance.timeOrigin,
    orcaVersion,
    onNotice: noticesTo(process.stderr),
    stdout: process.stdout,
    stderr: process.stderr,
    // Only the live view reads it: creating process.stdin costs start-up time and, on a pipe, delays exit.
    get stdin() {
      return process.stdin
    },
  }
  if (args.flags.server !== undefined && args.flags.server !== '') {
    const [{remoteOf}, {runRemote}] = await Promise.all([import('./remote/connection.js'), import('./remote/run.js')])
    const remote = remoteOf(args.flags, process.env)
    if (remote !== undefined) return runRemote(remote, options)
  }
  if (options.watch === true) {
    const {watchRuns} = await import('./watch-run.js')
    return watchRuns(options, runPipeline)
  }
  return runPipeline(options)
}

/** `orca run` end to end: returns the exit code (docs/running.md). User mistakes throw OrcaError before anything is written. */
export async function runPipeline(options: RunPipelineOptions): Promise<number> {
  // Nobody reads the output any more (`orca run | head`): cancel the run cleanly, as the first Ctrl-C
  // does, rather than die of EPIPE with containers still running. Kept until the process ends.
  let outputGone = false
  let cancelRun = (): void => {}
  onBrokenPipe(
    () => {
      outputGone = true
      cancelRun()
    },
    [options.stdout, options.stderr],
  )
  if (options.interactive === true) assertTerminal(options)
  // Ink and React take a while to load: start while the pipeline is read and planned.
  const liveView = wantsLiveView(options) && !options.dryRun ? import('../views/live/live-view.js') : undefined
  liveView?.catch(() => undefined)
  // Passed on as is when it has its notice callback: a copy would read every getter, stdin's included.
  const prepared = await prepareRun(options.onNotice ? options : {...options, onNotice: noticesTo(options.stderr)})
  prefetchImageIds(prepared)
  if (!options.dryRun) warmRemote(prepared)
  options.onPrepared?.(prepared)
  if (options.dryRun) {
    const [{dryRunKeys}, {formatDryRun}] = await Promise.all([import('../engine/run/dry-run.js'), import('../views/run/dry-run.js')])
    const rows = await dryRunKeys(prepared)
    options.stdout.write(formatDryRun(prepared, rows, {inputs: options.inputs === true ? await prepared.projectFiles() : undefined}))
    return exitCode('succeeded')
  }

  if (prepared.restored !== undefined) {
    // Before the run directory exists: a need missing from the cache is the user's to fix, like a bad target.
    const {ensureNeedsInCache} = await import('../engine/run/needs-from-cache.js')
    await ensureNeedsInCache(prepared, dockerExecutor(prepared), new AbortController().signal)
  }
  // The live view owns the terminal once it starts: a notice about the project's files comes first.
  if (liveView !== undefined) await prepared.projectFiles()
  const reporter = await pickReporter(options, {runsDir: prepared.config.runsDir, jobs: prepared.plan.order}, liveView, () => cancelRun())
  const shells = options.interactive === true ? await import('./failed-step-shell.js') : undefined
  const held = shells ? new shells.HeldReporter(reporter) : undefined
  const sinks: EventSink[] = [held ?? reporter]
  let junit: JunitReporter | undefined
  if (options.junit !== undefined) {
    const {JunitReporter} = await import('../views/run/junit.js')
    sinks.push((junit = new JunitReporter(resolve(options.cwd, options.junit))))
  }
  const onStepFailed = shells && held ? shells.failedStepShell(held, options) : undefined
  const run = await startRun(prepared, {sinks, orcaVersion: options.orcaVersion, ...(onStepFailed ? {onStepFailed} : {})})
  let signals = 0
  const onSignal = (): void => {
    options.onInterrupt?.()
    if (reporter.showCancelling) reporter.showCancelling(++signals)
    else {
      options.stderr.write(
        ++signals === 1
          ? '\norca: cancelling the run (press Ctrl-C again to stop containers without waiting)\n'
          : '\norca: stopping containers now\n',
      )
    }
    run.cancel()
  }
  cancelRun = onSignal
  if (outputGone) onSignal()
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const restart = (): void => run.cancel()
  options.restart?.addEventListener('abort', restart, {once: true})
  if (options.restart?.aborted) restart()
  let result: RunResult
  try {
    result = await run.done
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    options.restart?.removeEventListener('abort', restart)
  }
  if (junit?.error) options.stderr.write(`error: cannot write the JUnit report ${options.junit}: ${junit.error.message}\n`)

  if (result.infraError) {
    // Said once, here, with its hint: the job lines and the summary above only refer to it.
    const {formatRunError} = await import('../views/run/ci.js')
    options.stderr.write(formatRunError(result.infraError, options.env))
  }
  if (result.status === 'cancelled') return exitCode('cancelled')
  if (result.infraError || failedOnlyForMissingImages(result)) return exitCode('infra')
  return exitCode(result.status === 'succeeded' ? 'succeeded' : 'jobFailed')
}

/** The reporter `--output` and the terminal ask for; the live view shows each job's past durations from `runsDir`. */
export async function pickReporter(
  options: Pick<RunPipelineOptions, 'output' | 'stdout' | 'stderr' | 'stdin' | 'env'>,
  history: {runsDir: string; jobs: string[]},
  liveView: Promise<typeof LiveViewModule> | undefined,
  onCancel: () => void,
): Promise<Reporter> {
  if (options.output === 'json') {
    const {JsonReporter} = await import('../views/run/json.js')
    return new JsonReporter(options.stdout)
  }
  if (liveView !== undefined) {
    // Ink and React are slow to import (docs/performance.md): only this path loads them.
    const [{LiveView}, {pastDurations}] = await Promise.all([liveView, import('../engine/history/past-durations.js')])
    const past = await pastDurations(history.runsDir, history.jobs).catch(() => undefined)
    return new LiveView({stream: options.stderr as NodeJS.WriteStream, stdin: options.stdin, onCancel, past})
  }
  const {lineReporterFor} = await import('../views/run/ci.js')
  return lineReporterFor(options.stdout, {env: options.env})
}

/** `--keep-for DURATION` in milliseconds; a value that is no duration is a usage error. */
function keepForOf(text: string | undefined): {keepForMs?: number} {
  if (text === undefined) return {}
  const ms = parseDuration(text)
  if (ms === undefined) throw new OrcaError('usage', `--keep-for expects a duration like 2h, 3d or 30m, got "${text}"`)
  return {keepForMs: ms}
}

/** `--interactive` needs a person at a terminal: refused before anything runs otherwise. */
function assertTerminal(options: RunPipelineOptions): void {
  if (options.output === 'json') throw new OrcaError('usage', '--interactive and --output json cannot be used together: the shell would write into the events')
  if (options.stdin?.isTTY === true && options.stdout.isTTY === true) return
  throw new OrcaError('usage', '--interactive opens a shell when a step fails, and needs a terminal (stdin and stdout are not one)', {
    hint: 'run it from a terminal, or leave out -i and keep the failed container with --cleanup remove_on_completion, then use orca shell',
  })
}

/** `tty`, or `auto` with a terminal on both ends outside CI: Ink writes erase sequences into a pipe. */
export function wantsLiveView(options: Pick<RunPipelineOptions, 'output' | 'stdout' | 'stderr' | 'env'>): boolean {
  const stderr = options.stderr as Writable & {isTTY?: boolean}
  if (options.output === 'tty') return true
  return options.output === 'auto' && options.stdout.isTTY === true && stderr.isTTY === true && !isCi(options.env)
}

/**
 * A run whose only failures are jobs whose image is missing ends as an infrastructure error (exit 3),
 * though the jobs that had theirs ran; a job that failed on its own (a build included) makes it 1.
 */
export function failedOnlyForMissingImages(result: Pick<RunResult, 'status' | 'jobs' | 'missingImages'>): boolean {
  if (result.status !== 'failed' || result.missingImages.size === 0) return false
  return [...result.jobs].every(([name, status]) => (status !== 'failed' && status !== 'timed_out') || result.missingImages.has(name))
}
