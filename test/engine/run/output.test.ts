import {describe, expect, it} from 'vitest'

import {LINE_CUT_MARKER, MAX_LINE_LENGTH, OutputBudget, OutputStream, StepOutput, truncationMarker, type StreamName} from '../../../src/engine/run/output.js'

function collect(secrets: string[] = []): {stream: OutputStream; text: () => string; pieces: string[]} {
  const pieces: string[] = []
  const stream = new OutputStream(secrets, (t) => pieces.push(t))
  return {stream, pieces, text: () => pieces.join('')}
}

describe('OutputStream', () => {
  it('hands on whole lines and the rest at the end', () => {
    const {stream, pieces, text} = collect()
    stream.write(Buffer.from('one\ntw'))
    expect(pieces).toEqual(['one\n'])
    stream.write(Buffer.from('o\nthree'))
    stream.end()
    expect(text()).toBe('one\ntwo\nthree')
  })

  it('cuts a line longer than the cap with a marker and keeps the lines after it', () => {
    const {stream, text} = collect()
    const long = 'x'.repeat(MAX_LINE_LENGTH + 10)
    stream.write(Buffer.from(`short\n${long}\nafter\n`))
    stream.end()
    expect(text()).toBe(`short\n${'x'.repeat(MAX_LINE_LENGTH)}${LINE_CUT_MARKER}after\n`)
  })

  it('cuts a line that arrives in many chunks without a newline, once, and drops the rest of it', () => {
    const {stream, text} = collect()
    for (let i = 0; i < 50; i++) stream.write(Buffer.from('y'.repeat(10_000)))
    stream.write(Buffer.from('yyy\nnext line\n'))
    stream.end()
    const out = text()
    expect(out).toBe(`${'y'.repeat(MAX_LINE_LENGTH)}${LINE_CUT_MARKER}next line\n`)
  })

  it('masks a secret split across chunks before cutting lines', () => {
    const {stream, text} = collect(['hunter22'])
    stream.write(Buffer.from('pass=hun'))
    stream.write(Buffer.from('ter22\n'))
    stream.end()
    expect(text()).toBe('pass=***\n')
  })
})

describe('StepOutput', () => {
  function step(secrets: string[] = []): {output: StepOutput; pieces: Array<[StreamName, string]>; text: () => string} {
    const pieces: Array<[StreamName, string]> = []
    const output = new StepOutput(secrets, (stream, text) => pieces.push([stream, text]))
    return {output, pieces, text: () => pieces.map(([, t]) => t).join('')}
  }

  it('hands chunks of both streams on in the order they arrived, even mid-line', () => {
    const {output, pieces} = step()
    output.write('stdout', Buffer.from('out 1\nout 2 (still going'))
    output.write('stderr', Buffer.from('err 1\n'))
    output.write('stdout', Buffer.from(')\nout 3\n'))
    output.end()
    expect(pieces).toEqual([
      ['stdout', 'out 1\n'],
      ['stdout', 'out 2 (still going'],
      ['stderr', 'err 1\n'],
      ['stdout', ')\nout 3\n'],
    ])
  })

  it('ends with what the stream that spoke last still holds, after the other', () => {
    const {output, text} = step()
    output.write('stderr', Buffer.from('progress 10%'))
    output.write('stdout', Buffer.from('done'))
    output.end()
    expect(text()).toBe('progress 10%done')
  })

  it('keeps a secret split around the other stream masked', () => {
    const {output, text} = step(['hunter22'])
    output.write('stdout', Buffer.from('pass=hun'))
    output.write('stderr', Buffer.from('warning\n'))
    output.write('stdout', Buffer.from('ter22\n'))
    output.end()
    expect(text()).toBe('pass=warning\n***\n')
  })
})

describe('OutputBudget', () => {
  it('passes text until the limit, then the whole lines that fit and one marker, then nothing', () => {
    const budget = new OutputBudget(10)
    expect(budget.take('abc\n')).toBe('abc\n')
    expect(budget.truncated).toBe(false)
    expect(budget.take('defg\nhijk\n')).toBe(`defg\n${truncationMarker(10)}`)
    expect(budget.truncated).toBe(true)
    expect(budget.take('more\n')).toBe('')
  })

  it('counts bytes, not characters, and names the limit in the marker', () => {
    const budget = new OutputBudget(16 * 1024 * 1024)
    expect(truncationMarker(16 * 1024 * 1024)).toBe('[orca] output truncated: this job printed more than 16 MiB; the rest is not recorded\n')
    const small = new OutputBudget(4)
    expect(small.take('éé\n')).toBe(truncationMarker(4))
    expect(budget.take('ok\n')).toBe('ok\n')
  })
})
