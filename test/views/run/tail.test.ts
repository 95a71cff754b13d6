import {describe, expect, it} from 'vitest'

import {cleanLine, OutputTail} from '../../../src/views/run/tail.js'

describe('OutputTail', () => {
  it('keeps the last lines across chunks, joining lines split between chunks', () => {
    const tail = new OutputTail(3)
    tail.push('one\ntw')
    tail.push('o\nthree\n')
    tail.push('fo')
    expect(tail.last()).toEqual(['two', 'three', 'fo'])
    tail.push('ur\nfive\n')
    expect(tail.last()).toEqual(['three', 'four', 'five'])
    expect(tail.count).toBe(5)
  })

  it('stays bounded when one chunk holds many lines', () => {
    const tail = new OutputTail(2)
    tail.push('partial ')
    tail.push(Array.from({length: 100_000}, (_, i) => `line ${i}`).join('\n') + '\n')
    expect(tail.last()).toEqual(['line 99998', 'line 99999'])
    expect(tail.count).toBe(100_000)
    const short = new OutputTail(5)
    short.push('a ')
    short.push('b\nc\n')
    expect(short.last()).toEqual(['a b', 'c'])
  })

  it('cleans lines: no escapes, no carriage-return redraws, tabs as spaces', () => {
    expect(cleanLine('\u001B[31mred\u001B[39m\tok')).toBe('red  ok')
    expect(cleanLine('10%\r50%\r100%')).toBe('100%')
    expect(cleanLine('done\r')).toBe('done')
    expect(cleanLine('bell\u0007 \u001B]0;title\u0007x')).toBe('bell x')
  })
})
