import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {PausableTimer} from '../../src/engine/pausable-timer.js'

describe('PausableTimer', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('does not count the time it was paused: a job timeout waits out a debugging shell', () => {
    const fired = vi.fn()
    const timer = new PausableTimer(fired, 1000)
    vi.advanceTimersByTime(600)
    timer.pause()
    vi.advanceTimersByTime(60_000)
    expect(fired).not.toHaveBeenCalled()
    timer.resume()
    vi.advanceTimersByTime(399)
    expect(fired).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(fired).toHaveBeenCalledTimes(1)
  })

  it('never fires once cleared, even when resumed', () => {
    const fired = vi.fn()
    const timer = new PausableTimer(fired, 100)
    timer.clear()
    timer.resume()
    vi.advanceTimersByTime(1000)
    expect(fired).not.toHaveBeenCalled()
  })
})
