import type {ServerResponse} from 'node:http'

import {followRun} from '../engine/history/logs.js'
import type {OrcaEvent} from '../engine/records/events.js'
import {drained} from '../engine/stream-drain.js'
import type {LiveEvents} from './live-events.js'

/** A comment line every so often keeps proxies and clients from dropping a quiet stream. */
const HEARTBEAT_MS = 15_000

/** How long a client waits before reconnecting after the connection drops. */
export const RETRY_MS = 1000

/** One SSE message: `id:` is the event's seq (what `Last-Event-ID` resumes from), `data:` its JSON. */
function sseMessage(event: OrcaEvent): string {
  return `id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`
}

/**
 * The message after `run.finished`: a named `end` event (EventSource clients listen for it and call
 * `close()`). One that reconnects anyway is answered 204, which makes EventSource stop for good.
 */
function sseEnd(finished: Extract<OrcaEvent, {type: 'run.finished'}>): string {
  return `event: end\ndata: ${JSON.stringify({runId: finished.runId, status: finished.status, lastSeq: finished.seq})}\n\n`
}

/** `Last-Event-ID` as a seq; anything that is not a whole number means "from the start". */
export function parseLastEventId(value: string | string[] | undefined): number {
  const text = Array.isArray(value) ? value[0] : value
  if (text === undefined || !/^\d{1,15}$/.test(text.trim())) return 0
  return Number(text.trim())
}

/** True when a client resuming after `afterSeq` has nothing left to get: the run is over and it saw the end. */
export function streamIsOver(run: {live?: LiveEvents; status: string; lastSeq: number}, afterSeq: number): boolean {
  if (run.live) return run.live.done && afterSeq >= run.live.lastSeq
  return run.status !== 'running' && afterSeq >= run.lastSeq
}

/**
 * Streams a run's events to `res` as Server-Sent Events and ends after `run.finished` (with an `end`
 * message). Events come from memory for runs of this server, else from the run's events.jsonl (runs
 * of other processes, finished runs), which also ends when the process running it died (the run is
 * then recorded as abandoned). `stop` ends the stream early (server shutdown).
 */
export async function streamEvents(
  res: ServerResponse,
  source: {live?: LiveEvents; runsDir: string; id: string; afterSeq: number; stop: AbortSignal},
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
  })
  // Reconnect after a second when the connection drops; the client resumes from its last id.
  res.write(`retry: ${RETRY_MS}\n\n`)
  const closed = new AbortController()
  const onClose = (): void => closed.abort()
  res.on('close', onClose)
  source.stop.addEventListener('abort', onClose, {once: true})
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS)
  try {
    if (source.live) await streamLive(res, source.live, source.afterSeq, closed.signal)
    else {
      for await (const event of followRun(source.runsDir, source.id, {signal: closed.signal})) {
        if (event.seq > source.afterSeq && !res.write(sseMessage(event))) await drained(res, closed.signal)
        if (event.type === 'run.finished') res.write(sseEnd(event))
      }
    }
  } finally {
    clearInterval(heartbeat)
    res.off('close', onClose)
    source.stop.removeEventListener('abort', onClose)
    if (!res.writableEnded) res.end()
  }
}

function streamLive(res: ServerResponse, live: LiveEvents, afterSeq: number, closed: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let unsubscribe: () => void = () => undefined
    let settled = false
    const finish = (): void => {
      if (settled) return
      settled = true
      unsubscribe()
      closed.removeEventListener('abort', finish)
      resolve()
    }
    closed.addEventListener('abort', finish, {once: true})
    // A slow client buffers in the socket; the run's events are bounded, so memory is too.
    unsubscribe = live.subscribe(
      afterSeq,
      (event) => {
        res.write(sseMessage(event))
      },
      () => {
        const last = live.finishedEvent
        if (last) res.write(sseEnd(last))
        queueMicrotask(finish)
      },
    )
    if (closed.aborted) finish()
  })
}
