import type {EventSink, OrcaEvent} from '../engine/records/events.js'

type Listener = (event: OrcaEvent) => void
type FinishedEvent = Extract<OrcaEvent, {type: 'run.finished'}>

/**
 * The events of a run this server started, kept in memory while it runs so every SSE client gets
 * them as they are emitted (no file polling) and a client resuming with `Last-Event-ID` gets the rest.
 */
export class LiveEvents implements EventSink {
  private readonly history: OrcaEvent[] = []
  private readonly listeners = new Set<{afterSeq: number; listener: Listener; onEnd: () => void}>()
  private finished: FinishedEvent | undefined

  handle(event: OrcaEvent): void {
    this.history.push(event)
    if (event.type === 'run.finished') this.finished = event
    for (const {afterSeq, listener} of this.listeners) if (event.seq > afterSeq) listener(event)
    if (this.finished === undefined) return
    for (const {onEnd} of this.listeners) onEnd()
    this.listeners.clear()
  }

  get done(): boolean {
    return this.finished !== undefined
  }

  /** The run's `run.finished`, once emitted. */
  get finishedEvent(): FinishedEvent | undefined {
    return this.finished
  }

  /** The seq of the latest event so far (0 before the first). */
  get lastSeq(): number {
    return this.history.at(-1)?.seq ?? 0
  }

  /**
   * Calls `listener` with every event after `afterSeq`, those so far and then each new one, and
   * `onEnd` once the run has finished, even when `run.finished` itself was at or before `afterSeq`.
   * Returns the function that stops listening.
   */
  subscribe(afterSeq: number, listener: Listener, onEnd: () => void): () => void {
    for (const event of this.history) if (event.seq > afterSeq) listener(event)
    if (this.finished !== undefined) {
      onEnd()
      return () => undefined
    }
    const entry = {afterSeq, listener, onEnd}
    this.listeners.add(entry)
    return () => this.listeners.delete(entry)
  }
}
