import {describe, expect, it} from 'vitest'

import {formatBytes, parseSize} from '../../src/engine/bytes.js'

describe('formatBytes', () => {
  it('writes whole bytes below a KiB and one decimal in binary units above', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(1023)).toBe('1023 B')
    expect(formatBytes(1024)).toBe('1.0 KiB')
    expect(formatBytes(1536 * 1024)).toBe('1.5 MiB')
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB')
    expect(formatBytes(2 * 1024 ** 5)).toBe('2048.0 TiB')
  })

  it('reads back what it writes, within its one decimal', () => {
    for (const bytes of [1024, 1536 * 1024, 5 * 1024 ** 3]) {
      const [number, unit] = formatBytes(bytes).split(' ')
      expect(parseSize(`${number}${unit![0]!.toLowerCase()}`)).toBe(bytes)
    }
  })
})
