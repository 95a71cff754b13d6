import {describe, expect, it} from 'vitest'

import {showValue} from '../../../src/engine/pipeline/show-value.js'

describe('showValue', () => {
  it('renders short values exactly as JSON', () => {
    for (const value of ['ten', 42, true, null, ['a', 1], {a: {b: [1, 2]}}, 'quote " and \\ backslash']) {
      expect(showValue(value)).toBe(JSON.stringify(value))
    }
  })

  it('cuts long values at 60 characters, ending in ...', () => {
    const text = showValue('x'.repeat(100))
    expect(text).toBe(`"${'x'.repeat(56)}...`)
    expect(text).toHaveLength(60)
    expect(showValue(Array.from({length: 50}, (_, i) => i))).toBe(`${JSON.stringify(Array.from({length: 50}, (_, i) => i)).slice(0, 57)}...`)
  })

  // The bound is the test's timeout: JSON.stringify of these would take minutes or throw RangeError.
  it('renders only what it shows: a 50 MB string, a list of 100 000 maps of 10 000 keys, a value that contains itself', () => {
    expect(showValue('y'.repeat(50 * 1024 * 1024))).toHaveLength(60)
    const keys: Record<string, number> = {}
    for (let i = 0; i < 10_000; i++) keys[`k${i}`] = i
    const many = Array.from({length: 100_000}, () => keys)
    expect(showValue(many)).toMatch(/^\[\{"k0":0,"k1":1,.*\.\.\.$/)
    const loop: unknown[] = [1]
    loop.push(loop)
    expect(showValue(loop)).toBe('[1,"[circular]"]')
  })
})
