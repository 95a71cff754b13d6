import {describe, expect, it} from 'vitest'

import {maskString} from '../../src/engine/run/masker.js'
import {OutputStream} from '../../src/engine/run/output.js'
import {seededRandom, suiteSeed} from './support.js'
import {tally} from './tally.js'

// Multi-byte characters, a self-overlapping secret and one that is a prefix of another.
const SECRETS = ['s3cr3t-tök€n', 'pass∑wörd', 'abcabcabd', 'abcab-longer', '🔑key🔑']

const INPUTS = [
  'token=s3cr3t-tök€n\n',
  'pass∑wördpass∑wörd and s3cr3t-tök€ns3cr3t-tök€n\n',
  'abcabcabcabdabcab-longer abcabcab\n',
  'line one\nthe 🔑key🔑 sits here, 🔑key🔑 again\r\nlast: s3cr3t-tök€',
  'ä€𝄞 no secret at all, only multi-byte text 𝄞€ä\n',
  's3cr3t-tök€n',
]

/** The text an OutputStream hands on for these byte chunks. */
function streamed(chunks: Buffer[]): string {
  const out: string[] = []
  const stream = new OutputStream(SECRETS, (text) => out.push(text))
  for (const chunk of chunks) stream.write(chunk)
  stream.end()
  return out.join('')
}

describe('secret masking of step output split at every byte offset', () => {
  it('gives the one-shot result for every split into two and three byte chunks', () => {
    let splits = 0
    for (const input of INPUTS) {
      const bytes = Buffer.from(input)
      const expected = maskString(input, SECRETS)
      for (const secret of SECRETS) expect(expected).not.toContain(secret)
      for (let i = 0; i <= bytes.length; i++) {
        expect(streamed([bytes.subarray(0, i), bytes.subarray(i)]), `${JSON.stringify(input)} split at byte ${i}`).toBe(expected)
        splits++
        for (let j = i + 1; j < bytes.length; j++) {
          const got = streamed([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)])
          if (got !== expected) expect(got, `${JSON.stringify(input)} split at bytes ${i} and ${j}`).toBe(expected)
          splits++
        }
      }
    }
    tally('masking splits checked', splits)
    console.log(`masking: ${splits} splits of ${INPUTS.length} inputs against ${SECRETS.length} secrets`)
  })

  it('gives the one-shot result one byte at a time and at seeded random cuts', () => {
    const random = seededRandom(suiteSeed())
    let splits = 0
    for (const input of INPUTS) {
      const bytes = Buffer.from(input)
      const expected = maskString(input, SECRETS)
      expect(streamed([...bytes].map((b) => Buffer.from([b])))).toBe(expected)
      splits++
      for (let round = 0; round < 500; round++) {
        const chunks: Buffer[] = []
        for (let at = 0; at < bytes.length; ) {
          const size = 1 + Math.floor(random() * 7)
          chunks.push(bytes.subarray(at, at + size))
          at += size
        }
        expect(streamed(chunks), `${JSON.stringify(input)} cut into ${chunks.map((c) => c.length).join('+')}`).toBe(expected)
        splits++
      }
    }
    tally('masking splits checked', splits)
  })
})

// A private key as CI systems hold it: PEM lines, Windows line ends from an editor, a trailing newline.
const KEY_LINES = [
  '-----BEGIN EC PRIVATE KEY-----',
  'MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oB5ZMdIRbHlQoAoGCCqGSM49',
  'AwEHoUQDQgAE7wD1XSZy4gZS7VFWTtx6r1c3mb3D2Yh0+Pu8SP9d1Vdq9Fe/LX6A',
  '-----END EC PRIVATE KEY-----',
]
const KEY = `${KEY_LINES.join('\r\n')}\r\n`

const KEY_INPUTS = [
  `the key:\n${KEY}and after it\n`,
  `one line of it: ${KEY_LINES[1]}\n`,
  `${KEY_LINES[2]}\n${KEY_LINES[0]}🔑${KEY_LINES[3]}\n`,
  `lines out of order, LF only:\n${[...KEY_LINES].reverse().join('\n')}\n`,
]

describe('masking of a multi-line secret, whole or line by line, at every byte split', () => {
  it('never lets a line of the key through, however the output is cut', () => {
    const random = seededRandom(suiteSeed())
    let splits = 0
    const cut = (chunks: Buffer[]): string => {
      const out: string[] = []
      const stream = new OutputStream([KEY], (text) => out.push(text))
      for (const chunk of chunks) stream.write(chunk)
      stream.end()
      return out.join('')
    }
    for (const input of KEY_INPUTS) {
      const bytes = Buffer.from(input)
      const expected = maskString(input, [KEY])
      for (const line of KEY_LINES) expect(expected).not.toContain(line)
      for (let i = 0; i <= bytes.length; i++) {
        expect(cut([bytes.subarray(0, i), bytes.subarray(i)]), `${JSON.stringify(input)} split at byte ${i}`).toBe(expected)
        splits++
      }
      for (let round = 0; round < 300; round++) {
        const chunks: Buffer[] = []
        for (let at = 0; at < bytes.length; ) {
          const size = 1 + Math.floor(random() * 9)
          chunks.push(bytes.subarray(at, at + size))
          at += size
        }
        expect(cut(chunks), `${JSON.stringify(input)} cut into ${chunks.map((c) => c.length).join('+')}`).toBe(expected)
        splits++
      }
    }
    expect(maskString(KEY_INPUTS[0]!, [KEY])).toBe('the key:\n***and after it\n')
    tally('masking splits checked', splits)
  })
})
