import {render, renderToString, Text} from 'ink'
import type {Instance} from 'ink'

import type {PastDurations} from '../../engine/history/past-durations.js'
import {drained} from '../../engine/stream-drain.js'
import type {EventSink, OrcaEvent} from '../../engine/records/events.js'
import {ViewModel} from './model.js'
import {CancelKeys, RunView} from './run-view.js'
import {RunSummary} from './summary.js'

/** Frames are drawn at most this often, whatever the rate of events. */
export const FRAME_MS = 100

export interface LiveViewOptions {
  /** Where the view is drawn: stderr, so stdout stays free for machine output. */
  stream: NodeJS.WriteStream
  /** Read for Ctrl-C when it is a terminal. */
  stdin?: NodeJS.ReadStream
  /** Ctrl-C pressed inside the view: the same as SIGINT. */
  onCancel: () => void
  /** Durations of past runs, for estimates. */
  past?: PastDurations
  /** Mounts the view; Ink's `render` unless a test provides its own. */
  mount?: (node: React.ReactElement) => Pick<Instance, 'rerender' | 'unmount' | 'waitUntilExit'>
}

/**
 * The Ink live view as an event sink. Events only update the model; a timer draws a frame every
 * {@link FRAME_MS}, so the engine never waits on the terminal. When the run ends the live frame is
 * replaced by a summary that stays on screen, with the last lines of every failure.
 */
export class LiveView implements EventSink {
  private readonly model: ViewModel
  private instance: Pick<Instance, 'rerender' | 'unmount' | 'waitUntilExit'> | undefined
  private timer: NodeJS.Timeout | undefined
  private readonly keys: boolean
  /** A shell owns the terminal (see pause). */
  private paused = false

  constructor(private readonly options: LiveViewOptions) {
    this.model = new ViewModel(options.past)
    this.keys = options.stdin?.isTTY === true
  }

  handle(event: OrcaEvent): void {
    this.model.handle(event)
    if (this.instance === undefined && event.type === 'run.started') this.mount()
  }

  /** Steps aside (the frame erased, the terminal and its keys released) while a shell owns the terminal. */
  async pause(): Promise<void> {
    if (this.instance === undefined) return
    this.paused = true
    await this.unmount()
  }

  /** Comes back after {@link pause}, drawn afresh below whatever the shell left on screen. */
  resume(): void {
    if (!this.paused) return
    this.paused = false
    this.mount()
  }

  private mount(): void {
    const mount =
      this.options.mount ??
      ((node) => render(node, {stdout: this.options.stream, stdin: this.options.stdin, exitOnCtrlC: false, patchConsole: false}))
    this.instance = mount(this.frame())
    this.timer = setInterval(() => this.draw(), FRAME_MS)
  }

  /** Erases the live frame and lets go of the terminal. */
  private async unmount(): Promise<void> {
    clearInterval(this.timer)
    const instance = this.instance
    if (instance === undefined) return
    this.instance = undefined
    instance.rerender(<Text>{''}</Text>)
    instance.unmount()
    await instance.waitUntilExit()
  }

  /** The run is being cancelled (1) or forced (2): said in the view instead of over it. */
  showCancelling(count: number): void {
    this.model.cancelling = Math.min(2, count)
    this.draw()
  }

  async close(): Promise<void> {
    if (this.instance === undefined && !this.paused) return
    this.paused = false
    // The live frame is erased and the summary printed as plain text: it may be taller than the screen.
    await this.unmount()
    const snapshot = this.model.snapshot(Date.now())
    this.options.stream.write(`${renderToString(<RunSummary snapshot={snapshot} columns={this.columns()} />, {columns: this.columns()})}\n`)
    await drained(this.options.stream)
  }

  private draw(): void {
    this.instance?.rerender(this.frame())
  }

  private frame(): React.ReactElement {
    const now = Date.now()
    return (
      <>
        {this.keys ? <CancelKeys onCancel={this.options.onCancel} /> : null}
        <RunView snapshot={this.model.snapshot(now)} now={now} columns={this.columns()} rows={this.options.stream.rows || 24} />
      </>
    )
  }

  private columns(): number {
    return this.options.stream.columns || 80
  }
}
