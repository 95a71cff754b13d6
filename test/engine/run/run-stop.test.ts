import {describe, expect, it} from 'vitest'

import {RunStop} from '../../../src/engine/run/run-stop.js'

describe('RunStop', () => {
  it('goes on until something stops it, then skips pending jobs for fail-fast', () => {
    const stop = new RunStop(new AbortController().signal, undefined, true)
    stop.jobSettled('succeeded')
    stop.jobSettled('cached')
    expect(stop.signal.aborted).toBe(false)
    expect(stop.skipReason).toBeUndefined()
    stop.jobSettled('timed_out')
    expect(stop.signal.aborted).toBe(true)
    expect(stop.skipReason).toBe('fail-fast')
  })

  it('without fail-fast, a failed job does not stop the run', () => {
    const stop = new RunStop(new AbortController().signal, undefined, false)
    stop.jobSettled('failed')
    expect(stop.signal.aborted).toBe(false)
  })

  it('follows the caller\'s cancel, and stops following it once detached', () => {
    const cancel = new AbortController()
    const stop = new RunStop(cancel.signal, undefined, false)
    cancel.abort()
    expect(stop.signal.aborted).toBe(true)
    expect(stop.cancelled).toBe(true)
    expect(stop.skipReason).toBe('run cancelled')

    const later = new AbortController()
    const detached = new RunStop(later.signal, undefined, false)
    detached.detach()
    later.abort()
    expect(detached.signal.aborted).toBe(false)
  })

  it('a failure outside the run stops it, names the failure, and takes precedence as the skip reason', () => {
    const cancel = new AbortController()
    const failure = new AbortController()
    const stop = new RunStop(cancel.signal, failure.signal, false)
    expect(stop.outsideFailure).toBeUndefined()
    failure.abort(new Error('socket hang up'))
    cancel.abort()
    expect(stop.signal.aborted).toBe(true)
    expect(stop.skipReason).toBe('the run failed')
    expect(stop.outsideFailure).toBe('socket hang up')
  })

  it('an engine failure (abort) skips pending jobs as fail-fast does, without counting as a cancel', () => {
    const stop = new RunStop(new AbortController().signal, undefined, false)
    stop.abort()
    expect(stop.skipReason).toBe('fail-fast')
    expect(stop.cancelled).toBe(false)
  })
})
