import type {ServerResponse} from 'node:http'

import type {OrcaEvent} from '../run/events.js'
import {followEvents} from '../run/follow.js'
import type {LiveEvents} from './live-events.js'

/** A comment line every so often keeps proxies and clients from dropping a quiet stream. */
const HEARTBEAT_MS = 15_000

/** One SSE message: `id:` is the event's seq (what `Last-Event-ID` resumes from), `data:` its JSON. */
export function sseMessage(event: OrcaEvent): string {
  return `id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`
}

/** `Last-Event-ID` as a seq; anything that is not a whole number means "from the start". */
export function parseLastEventId(value: string | string[] | undefined): number {
  const text = Array.isArray(value) ? value[0] : value
  if (text === undefined || !/^\d{1,15}$/.test(text.trim())) return 0
  return Number(text.trim())
}

/**
 * Streams a run's events to `res` as Server-Sent Events and ends after `run.finished`. Events come
 * from memory for runs of this server, else from the run's events.jsonl (runs of other processes,
 * finished runs). `stop` ends the stream early (server shutdown).
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
  res.write('retry: 1000\n\n')
  const closed = new AbortController()
  const onClose = (): void => closed.abort()
  res.on('close', onClose)
  source.stop.addEventListener('abort', onClose, {once: true})
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS)
  try {
    if (source.live) await streamLive(res, source.live, source.afterSeq, closed.signal)
    else {
      for await (const event of followEvents(source.runsDir, source.id, {afterSeq: source.afterSeq, signal: closed.signal})) {
        if (!res.write(sseMessage(event))) await drained(res, closed.signal)
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
    const finish = (): void => {
      unsubscribe()
      closed.removeEventListener('abort', finish)
      resolve()
    }
    closed.addEventListener('abort', finish, {once: true})
    let ended = false
    // A slow client buffers in the socket; the run's events are bounded, so memory is too.
    unsubscribe = live.subscribe(afterSeq, (event) => {
      res.write(sseMessage(event))
      if (event.type === 'run.finished') ended = true
      if (ended) queueMicrotask(finish)
    })
    if (ended || closed.aborted) finish()
  })
}

function drained(res: ServerResponse, closed: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done)
      closed.removeEventListener('abort', done)
      resolve()
    }
    res.on('drain', done)
    closed.addEventListener('abort', done, {once: true})
  })
}
