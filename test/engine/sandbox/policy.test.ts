import {describe, expect, it} from 'vitest'

import {DEFAULT_SANDBOX_POLICY} from '../../../src/engine/config/layers.js'
import {expiryAfter, isExpired, remainingMs} from '../../../src/engine/expiry.js'
import {imageAllowed, resolveLimits, resolveTtl} from '../../../src/engine/sandbox/policy.js'
import {sandboxPath} from '../../../src/engine/sandbox/files.js'

const policy = {...DEFAULT_SANDBOX_POLICY, images: ['busybox:1.36'], defaultTtlMs: 600_000, maxTtlMs: 3_600_000, cpus: 2, memoryBytes: 1024, pids: 64}

describe('sandbox time-to-live and limits', () => {
  it('a time-to-live is the default when none is asked for, clamped to the maximum, and never zero or negative', () => {
    expect(resolveTtl(undefined, policy)).toBe(600_000)
    expect(resolveTtl(5000, policy)).toBe(5000)
    expect(resolveTtl(10 * 3_600_000, policy)).toBe(3_600_000)
    expect(() => resolveTtl(0, policy)).toThrow(/positive/)
    expect(resolveTtl(undefined, {...policy, defaultTtlMs: 7_200_000})).toBe(3_600_000)
  })

  it('limits are clamped to the caps, and a limit not asked for is the cap', () => {
    expect(resolveLimits(undefined, policy)).toEqual({cpus: 2, memoryBytes: 1024, pids: 64})
    expect(resolveLimits({cpus: 0.5, memoryBytes: 1 << 30, pids: 16}, policy)).toEqual({cpus: 0.5, memoryBytes: 1024, pids: 16})
  })

  it('an image must be listed exactly', () => {
    expect(imageAllowed('busybox:1.36', policy)).toBe(true)
    expect(imageAllowed('busybox', policy)).toBe(false)
    expect(imageAllowed('busybox:1.36', DEFAULT_SANDBOX_POLICY)).toBe(false)
  })

  it('kept containers and sandboxes share one expiry model', () => {
    const now = Date.parse('2026-11-29T12:00:00Z')
    const until = expiryAfter(now, 90_000)
    expect(until).toBe('2026-11-29T12:01:30.000Z')
    expect(isExpired(until, now + 89_999)).toBe(false)
    expect(isExpired(until, now + 90_000)).toBe(true)
    expect(isExpired(undefined, now)).toBe(false)
    expect(isExpired('garbage', now)).toBe(true)
    expect(remainingMs(until, now)).toBe(90_000)
    expect(remainingMs(until, now + 100_000)).toBe(0)
  })

  it('paths in a sandbox are absolute, without ".."', () => {
    expect(sandboxPath('/work//src/')).toBe('/work/src')
    expect(sandboxPath('/')).toBe('/')
    for (const bad of ['work', '/work/../etc', '/a\0b']) expect(() => sandboxPath(bad)).toThrow(/absolute/)
  })
})
