import {formatDuration} from '../duration.js'
import type {Step} from '../pipeline/types.js'
import type {JobContext, RunOutcomeStatus, ShellTerminal, StepResult} from './types.js'
import type {PausableTimer} from '../pausable-timer.js'

// Rules every executor applies the same way to a job's steps and artifacts.

/** By `artifacts.when`: on_success after success, on_failure after a failure or timeout, always after either; never after a cancel. */
export function collectsArtifacts(job: JobContext['job'], ended: RunOutcomeStatus): boolean {
  if (job.artifacts.length === 0 || ended === 'cancelled') return false
  const when = job.artifactsWhen ?? 'on_success'
  return when === 'always' || (when === 'on_success') === (ended === 'succeeded')
}

/** A step's `when` against the job so far: `on_success` after no failure, `on_failure` after one, `always` either way. */
export function stepRuns(when: Step['when'], failed: boolean): boolean {
  if (when === 'always') return true
  return when === 'on_failure' ? failed : !failed
}

/** A step under way: what `finishStep` needs, and its timeout to disarm once it ends. */
export interface StartedStep {
  step: Step
  startedAt: number
  disarm: () => void
}

/** Records a step's start (a `step.started` event) and arms its timeout, which calls `stop` with the reason to give. */
export function startStep(ctx: JobContext, index: number, stop: (message: string) => void): StartedStep {
  const step = ctx.job.steps[index]!
  const startedAt = Date.now()
  ctx.emit({type: 'step.started', step: index, name: step.name})
  const timer = step.timeoutMs === undefined ? undefined : setTimeout(() => stop(`step "${step.name}" exceeded its timeout of ${formatDuration(step.timeoutMs!)}`), step.timeoutMs)
  return {step, startedAt, disarm: () => clearTimeout(timer)}
}

/** Records a step's end: its result, told as a `step.finished` event. */
export function finishStep(ctx: JobContext, index: number, step: {name: string; allowFailure: boolean}, status: StepResult['status'], exitCode: number | null, durationMs: number): StepResult {
  const result: StepResult = {index, name: step.name, status, exitCode, durationMs, allowFailure: step.allowFailure}
  ctx.emit({type: 'step.finished', result})
  return result
}

/**
 * `--interactive`: hands a failed step to the user's shell (`openShell`, in `workdir`) and waits until
 * it is done, the job's timeout paused meanwhile.
 */
export async function holdFailedStep(
  ctx: JobContext,
  index: number,
  exitCode: number | null,
  timer: PausableTimer,
  workdir: string,
  openShell: (terminal: ShellTerminal) => Promise<number | null>,
): Promise<void> {
  const step = ctx.job.steps[index]!
  timer.pause()
  try {
    await ctx.onStepFailed!({job: ctx.job.name, step: step.name, command: step.run, exitCode, workdir, openShell})
  } finally {
    timer.resume()
  }
}
