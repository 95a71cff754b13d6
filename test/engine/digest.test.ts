import {createHash} from 'node:crypto'

import {describe, expect, it} from 'vitest'

import {sha256Hex} from '../../src/engine/digest.js'

describe('sha256Hex', () => {
  it("gives the Hash object's digest, for bytes and for text as UTF-8", () => {
    const inputs: Array<string | Uint8Array> = ['', 'input 1\n', 'grüße, 世界 🙂', Buffer.alloc(0), Buffer.from([0, 1, 2, 255]), new Uint8Array(200_000).fill(7), Buffer.from('abcdef').subarray(2, 5)]
    for (const input of inputs) expect(sha256Hex(input)).toBe(createHash('sha256').update(input).digest('hex'))
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })
})
