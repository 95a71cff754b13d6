import {execFileSync} from 'node:child_process'

import {describe, expect, it} from 'vitest'

import {AnswerReader, exportable, orderBytes, orderToken} from '../../../../src/engine/executor/docker/attached-steps.js'

interface Read {
  text: string
  answers: string[]
  archive: string
}

/** Feeds `bytes` to an AnswerReader in pieces of `size` bytes and records what it tells, in order. */
function read(token: string, bytes: Buffer, size: number): Read {
  const result: Read = {text: '', answers: [], archive: ''}
  const reader = new AnswerReader(token, {
    onText: (chunk) => void (result.text += chunk.toString('latin1')),
    onAnswer: (answer) => void result.answers.push(`${answer.word}|${answer.rest}`),
    onArchive: (chunk) => void (result.archive += chunk.toString('latin1')),
  })
  for (let at = 0; at < bytes.length; at += size) reader.push(bytes.subarray(at, at + size))
  reader.flush()
  return result
}

describe('the answers of a main process taking orders', () => {
  const token = orderToken()
  // An archive that holds what looks like answers, a fake token and newlines: only its count ends it.
  const archive = `tar-bytes\x1e${token}:done 0\n\n[fake]:c 3\n\x00\xff\x1e`
  const stream = Buffer.from(
    '[orca:output-ready]\n' +
      `written to /proc/1/fd/2 by a step x${token}:not an answer\n` +
      `\x1e${token}:in\n` +
      `no newline at its end\x1e${token}:done 3\n` +
      `\x1e${token}:c ${Buffer.byteLength(archive, 'latin1')}\n${archive}` +
      `\x1e${token}:c 2\nxy` +
      `\x1e${token}:tar 0 \n` +
      'after',
    'latin1',
  )

  it('tells output, answers and the archive apart however the stream is cut', () => {
    const whole = read(token, stream, stream.length)
    expect(whole).toEqual({
      text: `[orca:output-ready]\nwritten to /proc/1/fd/2 by a step x${token}:not an answer\nno newline at its endafter`,
      answers: ['in|', 'done|3', 'tar|0 '],
      archive: `${archive}xy`,
    })
    for (let size = 1; size < 64; size++) expect(read(token, stream, size)).toEqual(whole)
  })

  it('holds nothing back of a line: a step end marker there is not kept waiting', () => {
    const lines = '[orca:output-ready]\n[orca:step-end:00]\n'
    expect(read(token, Buffer.from(lines), lines.length).text).toBe(lines)
  })

  it('writes orders sh reads back word for word, whatever they hold', () => {
    const words = ['os', "it's", 'two\nlines', '$HOME `id` "q"', '', '\\n', 'trailing\n\n']
    const order = orderBytes('T0KEN', words).toString()
    // What the main process does with an order: the lines up to the token's, evaluated.
    const script = 'o=; while IFS= read -r l; do [ "$l" = T0KEN ] && break; o="$o$l\n"; done; os() { for w in "$@"; do printf "[%s]" "$w"; done; }; eval "$o"'
    for (const sh of ['sh', 'dash']) {
      const printed = execFileSync(sh, ['-c', script], {input: `${order}ignored after the token\n`, encoding: 'utf8'})
      expect(printed).toBe(words.slice(1).map((w) => `[${w}]`).join(''))
    }
  })

  it('exports only names sh can export', () => {
    expect(['PATH_2', '_x', 'a'].every(exportable)).toBe(true)
    expect(['2x', 'a-b', 'a.b', '', 'é'].some(exportable)).toBe(false)
  })
})
