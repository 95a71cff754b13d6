import {AsyncLocalStorage} from 'node:async_hooks'

import {OrcaError} from '../engine/errors.js'
import type {Executor} from '../engine/executor/types.js'
import type {EventSink, OrcaEvent} from '../engine/records/events.js'
import {foldEvent, type RunRecord} from '../engine/records/record.js'
import {prefetchImageIds, startRun, type PreparedRun, type StartedRun} from '../engine/run/start-run.js'

/** A run this server started: its record as its events arrive, and who listens to them. */
export class LiveRun implements EventSink {
  private folded: RunRecord | undefined
  private readonly listeners = new Set<(event: OrcaEvent) => void>()
  /** Settles once the run is recorded as finished (never rejects: an engine failure is recorded as the run's end). */
  done: Promise<void> = Promise.resolve()
  started!: StartedRun

  get id(): string {
    return this.started.runId
  }

  /** The run's record as `run.json` will hold it, folded from the events seen so far. */
  get record(): RunRecord | undefined {
    return this.folded
  }

  handle(event: OrcaEvent): void {
    this.folded = foldEvent(this.folded, event)
    for (const listener of this.listeners) listener(event)
  }

  /** Calls `listener` with every event from now on; returns the function that stops it. */
  listen(listener: (event: OrcaEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}

export interface LiveRunsOptions {
  orcaVersion: string
  /** Runs going at once at most: an agent that starts more is told to wait or cancel one. */
  maxLiveRuns: number
  executor?: () => Promise<Executor>
}

/** The runs this server started and has not seen finish: started, followed and cancelled here. */
export class LiveRuns {
  private readonly runs = new Map<string, LiveRun>()
  private closing = false
  /** Which run the code running now works for: every callback a run's work sets up inherits it. */
  private readonly owner = new AsyncLocalStorage<LiveRun>()

  constructor(private readonly options: LiveRunsOptions) {}

  /** Starts a prepared run; resolves once it is recorded (its directory and run.json exist). */
  async start(prepared: PreparedRun): Promise<LiveRun> {
    if (this.closing) throw new OrcaError('usage', 'orca mcp is shutting down: no new runs')
    if (this.runs.size >= this.options.maxLiveRuns) {
      throw new OrcaError('usage', `${this.runs.size} runs started here are still going: ${[...this.runs.keys()].join(', ')}`, {
        hint: 'wait for one with get_run (waitSeconds) or stop one with cancel_run',
      })
    }
    prefetchImageIds(prepared)
    const live = new LiveRun()
    live.started = await this.owner.run(live, () => startRun(prepared, {sinks: [live], orcaVersion: this.options.orcaVersion, executor: this.options.executor}))
    this.runs.set(live.id, live)
    live.done = live.started.done.then(
      () => undefined,
      // startRun recorded the engine's failure as the run's end; the record says what happened.
      () => undefined,
    )
    void live.done.then(() => this.runs.delete(live.id))
    if (this.closing) live.started.cancel(true)
    return live
  }

  get(id: string): LiveRun | undefined {
    return this.runs.get(id)
  }

  get count(): number {
    return this.runs.size
  }

  /** Stops taking runs, cancels every live one (`force`: kill without a grace period) and waits until each is recorded. */
  async shutdown(force: boolean): Promise<void> {
    this.closing = true
    const runs = [...this.runs.values()]
    for (const live of runs) live.started.cancel(force)
    await Promise.all(runs.map((live) => live.done))
  }

  /**
   * An error nothing caught, raised by the work of one of these runs: that run is stopped and
   * recorded failed with it. Returns the run's id, or undefined when no live run owns the error.
   */
  failOwnerOf(error: unknown): string | undefined {
    const live = this.owner.getStore()
    if (live === undefined || !this.runs.has(live.id)) return undefined
    live.started.fail(error instanceof Error ? error : new Error(String(error)))
    return live.id
  }

  /** Kills what is still running without a grace period (a second signal during a shutdown). */
  forceCancelAll(): void {
    for (const live of this.runs.values()) live.started.cancel(true)
  }
}
