import type {Writable} from 'node:stream'

import type {EventSink, OrcaEvent} from '../../engine/records/events.js'
import {drained} from '../../engine/stream-drain.js'

/** `--output json`: every event as one line of NDJSON, exactly as recorded in events.jsonl. */
export class JsonReporter implements EventSink {
  private readonly out: Writable

  constructor(out: Writable) {
    this.out = out
  }

  handle(event: OrcaEvent): void {
    this.out.write(`${JSON.stringify(event)}\n`)
  }

  close(): Promise<void> {
    return drained(this.out)
  }
}
