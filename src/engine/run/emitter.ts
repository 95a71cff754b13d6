import type {EventBody, EventSink, OrcaEvent} from '../records/events.js'
import {maskString} from './masker.js'

/** Stamps events with run id, sequence and time, masks secrets, and hands them to every sink. */
export class RunEmitter {
  #seq = 0
  readonly #broken = new Set<EventSink>()
  readonly secrets: string[]
  /** The first error a sink threw. */
  sinkFailure: {error: unknown} | undefined

  constructor(
    readonly runId: string,
    readonly sinks: EventSink[],
    secrets: string[],
  ) {
    this.secrets = secrets.filter((s) => s.length > 0)
  }

  emit(body: EventBody): void {
    // step.output is masked by its stream (secrets split across chunks); everything else here.
    const streamed = body.type === 'step.output' && !body.replayed
    const masked = streamed || this.secrets.length === 0 ? body : maskDeep(body, this.secrets)
    const event = {...masked, seq: ++this.#seq, time: new Date().toISOString(), runId: this.runId} as OrcaEvent
    for (const sink of this.sinks) {
      if (this.#broken.has(sink)) continue
      try {
        sink.handle(event)
      } catch (error) {
        // A sink that throws (a reporter's bug) gets no more events; the run and the other sinks go on.
        this.#broken.add(sink)
        this.sinkFailure ??= {error}
      }
    }
  }

  /** Closes every sink once the run's last event is out. */
  async close(): Promise<void> {
    await Promise.all(this.sinks.map(async (s) => s.close?.()))
  }
}

/** A copy of `value` with every secret in its strings masked. */
export function maskDeep<T>(value: T, secrets: string[]): T {
  if (typeof value === 'string') return maskString(value, secrets) as T
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, secrets)) as T
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v, secrets)])) as T
  }
  return value
}
