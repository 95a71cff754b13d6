import type {EventSink, OrcaEvent} from '../engine/records/events.js'
import type {ShellTerminal, StepFailure} from '../engine/executor/types.js'

/** A reporter that can step aside while a shell owns the terminal (the live view erases itself). */
export interface PausableReporter extends EventSink {
  pause?(): Promise<void>
  resume?(): void
}

export interface ShellStreams {
  stdin?: NodeJS.ReadStream
  stdout: NodeJS.WritableStream & {columns?: number; rows?: number}
}

/**
 * Holds a reporter's events while a shell owns the terminal and hands them on, in order, when it
 * closes: lines of jobs still running elsewhere would otherwise land inside the shell.
 */
export class HeldReporter implements EventSink {
  private held: OrcaEvent[] | undefined

  constructor(readonly inner: PausableReporter) {}

  handle(event: OrcaEvent): void {
    if (this.held) this.held.push(event)
    else this.inner.handle(event)
  }

  async close(): Promise<void> {
    this.release()
    await this.inner.close?.()
  }

  async hold(): Promise<void> {
    this.held ??= []
    await this.inner.pause?.()
  }

  release(): void {
    const held = this.held ?? []
    this.held = undefined
    this.inner.resume?.()
    for (const event of held) this.inner.handle(event)
  }
}

/**
 * `orca run -i`: for each failed step, one at a time, the reporter steps aside, the failed command and
 * its exit code are shown, and a shell opens in the job's container on this terminal. Nothing typed
 * or shown in it is recorded. When it exits, the reporter comes back and the run goes on.
 */
export function failedStepShell(reporter: HeldReporter, streams: ShellStreams): (failure: StepFailure) => Promise<void> {
  let turn: Promise<void> = Promise.resolve()
  return async (failure) => {
    const mine = turn.then(async () => openOne(failure, reporter, streams))
    turn = mine.catch(() => undefined)
    return mine
  }
}

async function openOne(failure: StepFailure, reporter: HeldReporter, {stdin, stdout}: ShellStreams): Promise<void> {
  await reporter.hold()
  const input = stdin!
  stdout.write(
    `\norca: step "${failure.step}" of job "${failure.job}" failed with exit code ${failure.exitCode ?? 'unknown'}:\n` +
      `${failure.command
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => `  $ ${line}`)
        .join('\n')}\n` +
      `orca: a shell where it ran (${failure.workdir}), with the job's environment; exit it to go on (the job stays failed)\n`,
  )
  input.setRawMode(true)
  input.resume()
  try {
    await failure.openShell(terminalOf(input, stdout))
  } catch (error) {
    stdout.write(`\norca: the shell could not be opened: ${error instanceof Error ? error.message : String(error)}\n`)
  } finally {
    input.setRawMode(false)
    input.pause()
    stdout.write(`\norca: shell closed; the run goes on\n`)
    reporter.release()
  }
}

/** This process's terminal as a shell's. */
export function terminalOf(input: NodeJS.ReadStream, output: ShellStreams['stdout']): ShellTerminal {
  return {
    input,
    output,
    size: () => ({columns: output.columns || 80, rows: output.rows || 24}),
    onResize(listener) {
      output.on('resize', listener)
      return () => output.off('resize', listener)
    },
  }
}
