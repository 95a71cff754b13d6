import type {EventSink, OrcaEvent} from '../run/events.js'

type Listener = (event: OrcaEvent) => void

/**
 * The events of a run this server started, kept in memory while it runs so every SSE client gets
 * them as they are emitted (no file polling) and a client resuming with `Last-Event-ID` gets the rest.
 */
export class LiveEvents implements EventSink {
  private readonly history: OrcaEvent[] = []
  private readonly listeners = new Set<Listener>()
  private finished = false

  handle(event: OrcaEvent): void {
    this.history.push(event)
    if (event.type === 'run.finished') this.finished = true
    for (const listener of this.listeners) listener(event)
    if (this.finished) this.listeners.clear()
  }

  get done(): boolean {
    return this.finished
  }

  /**
   * Calls `listener` with every event after `afterSeq` so far, then with each new one until
   * `run.finished`; returns the function that stops listening.
   */
  subscribe(afterSeq: number, listener: Listener): () => void {
    for (const event of this.history) if (event.seq > afterSeq) listener(event)
    if (this.finished) return () => undefined
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
