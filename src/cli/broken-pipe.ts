type Stream = NodeJS.WritableStream & {on(event: 'error', listener: (error: NodeJS.ErrnoException) => void): unknown}

/**
 * Calls `onBroken` once when the reader of stdout or stderr goes away (`orca … | head`), instead of
 * the unhandled EPIPE that would crash the process; later write errors on a closed stream are
 * swallowed. Returns a function that removes the listeners.
 */
export function onBrokenPipe(onBroken: () => void, streams: Stream[] = [process.stdout, process.stderr]): () => void {
  let called = false
  const listener = (error: NodeJS.ErrnoException): void => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error
    if (called) return
    called = true
    onBroken()
  }
  for (const stream of streams) stream.on('error', listener)
  return () => {
    for (const stream of streams) stream.removeListener('error', listener)
  }
}
