import {PassThrough, Writable} from 'node:stream'

import {describe, expect, it} from 'vitest'

import {drained, flushed} from '../../src/engine/stream-drain.js'

/** A writable with a one-byte buffer whose writes complete only when `release` is called. */
function slowStream() {
  const pending: Array<() => void> = []
  const out = new Writable({highWaterMark: 1, write: (_chunk, _enc, callback) => void pending.push(() => callback())})
  return {out, release: () => pending.splice(0).forEach((f) => f())}
}

describe('drained', () => {
  it('resolves at once when nothing waits in the buffer', async () => {
    await drained(new PassThrough())
  })

  it('waits for the buffer to empty', async () => {
    const {out, release} = slowStream()
    expect(out.write('xx')).toBe(false)
    let done = false
    const waiting = drained(out).then(() => (done = true))
    await new Promise((r) => setTimeout(r, 10))
    expect(done).toBe(false)
    release()
    await waiting
    expect(done).toBe(true)
  })

  it('stops waiting when the stream is destroyed or the signal aborts', async () => {
    const gone = slowStream()
    gone.out.write('xx')
    const waiting = drained(gone.out)
    gone.out.destroy()
    await waiting
    const left = slowStream()
    left.out.write('xx')
    const reader = new AbortController()
    const aborted = drained(left.out, reader.signal)
    reader.abort()
    await aborted
  })
})

describe('flushed', () => {
  it('resolves once every stream took what was written before', async () => {
    const {out, release} = slowStream()
    out.write('a')
    let done = false
    const waiting = flushed(out, new PassThrough()).then(() => (done = true))
    await new Promise((r) => setTimeout(r, 10))
    expect(done).toBe(false)
    release()
    await new Promise((r) => setTimeout(r, 0))
    release()
    await waiting
    expect(done).toBe(true)
  })
})
