import {describe, expect, it} from 'vitest'

import type {HttpError} from '../../src/server/http-error.js'
import {Quotas} from '../../src/server/quotas.js'

function refusal(fn: () => unknown): HttpError {
  try {
    fn()
  } catch (error) {
    return error as HttpError
  }
  throw new Error('not refused')
}

describe('Quotas', () => {
  it('caps what one key runs at once, each kind apart, and frees the slot on release', () => {
    const quotas = new Quotas({requestsPerMinute: 600, concurrency: 1, cpuSecondsPerHour: 100})
    const lease = quotas.acquire('k1', 'execute')
    const refused = refusal(() => quotas.acquire('k1', 'execute'))
    expect(refused.statusCode).toBe(429)
    expect(refused.code).toBe('too_many_concurrent')
    expect(refused.headers['retry-after']).toBe('1')
    // Another key and another kind are counted apart.
    quotas.acquire('k2', 'execute')
    quotas.acquire('k1', 'sandbox')
    lease.release(1)
    lease.release(1)
    quotas.acquire('k1', 'execute')
    expect(quotas.usedSeconds('k1')).toBe(1)
  })

  it('refuses once the hour\'s CPU-seconds are used, until enough of them age out, and says when', () => {
    let now = 0
    const quotas = new Quotas({requestsPerMinute: 600, concurrency: 5, cpuSecondsPerHour: 10}, () => now)
    quotas.acquire('k', 'execute').release(6)
    now = 600_000
    quotas.acquire('k', 'execute').release(5)
    const refused = refusal(() => quotas.acquire('k', 'execute'))
    expect(refused.code).toBe('cpu_quota_exceeded')
    // The first charge (at 0) ages out at 3600 s: 3000 s from now.
    expect(refused.headers['retry-after']).toBe('3000')
    now = 3_600_001
    expect(() => quotas.acquire('k', 'execute')).not.toThrow()
  })

  it('holds a slot past the cap for what exists already, counts it against new ones, and frees it once', () => {
    const quotas = new Quotas({requestsPerMinute: 600, concurrency: 1, cpuSecondsPerHour: 100})
    const first = quotas.hold('k', 'sandbox')
    const second = quotas.hold('k', 'sandbox')
    expect(refusal(() => quotas.acquire('k', 'sandbox', 42.2)).headers['retry-after']).toBe('43')
    first.release(2)
    first.release(2)
    expect(refusal(() => quotas.acquire('k', 'sandbox')).code).toBe('too_many_concurrent')
    second.release(3)
    expect(quotas.usedSeconds('k')).toBe(5)
    expect(() => quotas.acquire('k', 'sandbox')).not.toThrow()
  })
})
