import type {Writable} from 'node:stream'

/**
 * Resolves once what was written has left the stream's buffer, or the stream is gone (closed,
 * EPIPE), or `signal` aborts: a writer that waits here never waits on a reader that left.
 */
export function drained(out: Writable, signal?: AbortSignal): Promise<void> {
  if (!out.writableNeedDrain || out.destroyed || signal?.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done)
      out.off('close', done)
      out.off('error', done)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    out.on('drain', done)
    out.on('close', done)
    out.on('error', done)
    signal?.addEventListener('abort', done, {once: true})
  })
}

/** Resolves once the streams took everything written so far (before exiting, so nothing is cut). */
export async function flushed(...streams: Writable[]): Promise<void> {
  await Promise.all(streams.map((stream) => new Promise<void>((resolve) => stream.write('', () => resolve()))))
}
