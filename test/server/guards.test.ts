import {describe, expect, it} from 'vitest'

import {allowedHostHeaders, bearerMatches, isLoopbackHost} from '../../src/server/guards.js'
import {fingerprintOf, IdempotencyKeys} from '../../src/server/idempotency.js'
import {RunQueue} from '../../src/server/run-queue.js'
import {checkExposure} from '../../src/server/serve.js'

describe('isLoopbackHost / checkExposure', () => {
  it('knows loopback addresses from the rest', () => {
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]']) expect(isLoopbackHost(host), host).toBe(true)
    for (const host of ['0.0.0.0', '::', '192.168.1.4', 'example.com', '128.0.0.1']) expect(isLoopbackHost(host), host).toBe(false)
  })

  it('refuses a public address without a (long enough) token, with a hint', () => {
    expect(() => checkExposure('127.0.0.1', undefined)).not.toThrow()
    expect(() => checkExposure('0.0.0.0', undefined)).toThrow(/without a token or an API key/)
    expect(() => checkExposure('0.0.0.0', 'short')).toThrow(/too short/)
    expect(() => checkExposure('0.0.0.0', 'a-token-of-enough-length')).not.toThrow()
    // An active API key protects it as a token does.
    expect(() => checkExposure('0.0.0.0', undefined, 1)).not.toThrow()
  })
})

describe('allowedHostHeaders', () => {
  it('answers to loopback names and the bound host with the bound port only', () => {
    const allowed = allowedHostHeaders('0.0.0.0', 7070, ['ci.internal'])
    expect([...allowed].sort()).toEqual(['0.0.0.0:7070', '127.0.0.1:7070', '[::1]:7070', 'ci.internal:7070', 'localhost:7070'])
    expect(allowedHostHeaders('::1', 80).has('[::1]')).toBe(true)
  })
})

describe('bearerMatches', () => {
  it('accepts only the exact token in a Bearer header', () => {
    expect(bearerMatches('Bearer s3cret-token', 's3cret-token')).toBe(true)
    expect(bearerMatches('bearer s3cret-token', 's3cret-token')).toBe(true)
    for (const header of [undefined, '', 's3cret-token', 'Bearer s3cret-toke', 'Bearer s3cret-token2', 'Basic s3cret-token', 'Bearer s3cret-token extra']) {
      expect(bearerMatches(header, 's3cret-token'), String(header)).toBe(false)
    }
  })
})

describe('RunQueue', () => {
  it('grants slots up to the limit, then in order of arrival; an aborted waiter leaves the line', async () => {
    const queue = new RunQueue(1)
    const order: string[] = []
    expect(await queue.acquire(new AbortController().signal)).toBe(true)
    const gone = new AbortController()
    const b = queue.acquire(gone.signal).then((ok) => order.push(`b:${ok}`))
    const c = queue.acquire(new AbortController().signal).then((ok) => order.push(`c:${ok}`))
    expect(queue.queued).toBe(2)
    gone.abort()
    await b
    queue.release()
    await c
    expect(order).toEqual(['b:false', 'c:true'])
    expect(queue.active).toBe(1)
  })
})

describe('IdempotencyKeys', () => {
  it('does the work once per key and body; a failed attempt can be retried', async () => {
    const keys = new IdempotencyKeys<number>()
    let calls = 0
    const work = async (): Promise<number> => ++calls
    expect(await keys.run('k', {a: 1, b: 2}, work)).toEqual({result: 1, replayed: false})
    expect(await keys.run('k', {b: 2, a: 1}, work)).toEqual({result: 1, replayed: true})
    await expect(keys.run('k', {a: 2}, work)).rejects.toMatchObject({statusCode: 422, code: 'idempotency_key_reused'})
    await expect(keys.run('f', {}, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect(await keys.run('f', {}, work)).toEqual({result: 2, replayed: false})
    expect(fingerprintOf({x: [1, {y: 2, z: undefined}]})).toBe(fingerprintOf({x: [1, {y: 2}]}))
  })
})
