import {describe, expect, it} from 'vitest'

import {maskedValues, maskString, MIN_SECRET_LINE_LENGTH, SecretMasker} from '../../../src/engine/run/masker.js'

const CASES: Array<{secrets: string[]; input: string}> = [
  {secrets: ['hunter2'], input: 'login with hunter2, again hunter2hunter2 and hunter'},
  {secrets: ['password', 'pass'], input: 'pass password passwor passpassword p'},
  {secrets: ['abcd', 'cdef'], input: 'abcdef cdefab abcabcd xcdefx'},
  {secrets: ['aaa', 'aaaa'], input: 'aa aaa aaaa aaaaa aaaaaaa aaaaaaaaaa'},
  {secrets: ['line1\nline2', 'tok'], input: 'x line1\nline2 y line1\nline3 tok\n'},
  {secrets: ['sécret✓', 'ключ'], input: 'é sécret✓ ключ ключи 😀sécret✓😀'},
  {secrets: ['s3cr3t', 'ab', ''], input: 'ab s3cr3 s3cr3t ab s3cr3ts3cr3t'},
  {secrets: [`${'-'.repeat(5)}BEGIN KEY${'-'.repeat(5)}\r\nMIIBVwIBADANBgkqhkiG\r\nAB==\r\n`], input: 'key: MIIBVwIBADANBgkqhkiG\nAB== and -----BEGIN KEY-----\r\nMIIBVwIBADANBgkqhkiG\r\nAB==\r\n'},
]

function streamed(secrets: string[], chunks: string[]): string {
  const masker = new SecretMasker(secrets)
  return chunks.map((c) => masker.push(c)).join('') + masker.flush()
}

function maskable(secrets: string[]): string[] {
  return maskedValues(secrets)
}

/** A private key as a PEM file holds it: a header, lines of base64, a short last line, a footer, a newline. */
const PEM = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
  'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
  'Zw==',
  '-----END PRIVATE KEY-----',
  '',
].join('\n')

describe('SecretMasker', () => {
  it('masks every occurrence, longest secret first', () => {
    expect(maskString('pass password', ['pass', 'password'])).toBe('*** ***')
    expect(maskString('x hunter2 y hunter2', ['hunter2'])).toBe('x *** y ***')
    expect(maskString('abcdef', ['abcd', 'cdef'])).toBe('***ef')
  })

  it('masks a multi-line secret whole, and each of its lines printed on its own', () => {
    expect(maskString(`key:\n${PEM}done`, [PEM])).toBe('key:\n***done')
    const lines = PEM.split('\n')
    expect(maskString(`line two: ${lines[1]}\n`, [PEM])).toBe('line two: ***\n')
    expect(maskString(`${lines[0]}\n${lines[2]} (end)\n`, [PEM])).toBe('***\n*** (end)\n')
    // Windows line ends and indentation do not hide a line.
    expect(maskString(`  ${lines[1]}\r\n`, [PEM.replaceAll('\n', '\r\n')])).toBe('  ***\r\n')
    expect(maskString(`    ${lines[2]}`, [PEM.split('\n').map((l) => `    ${l}`).join('\n')])).toBe('    ***')
  })

  it('leaves the short lines of a multi-line secret alone: structure, not secret', () => {
    const json = '{\n  "type": "service_account",\n  "key": "abcdefghijklmnop"\n}\n'
    expect(maskString('if (x) {\n}\n', [json])).toBe('if (x) {\n}\n')
    expect(maskString('"key": "abcdefghijklmnop"', [json])).toBe('***')
    // The short last line of a key stays readable; a few characters of it reveal next to nothing.
    expect(maskString('Zw==', [PEM])).toBe('Zw==')
    expect(maskedValues([PEM]).filter((v) => !v.includes('\n')).every((v) => v.length >= MIN_SECRET_LINE_LENGTH)).toBe(true)
  })

  it('masks a value read from a file without its trailing newline too', () => {
    expect(maskString('password=hunter2, again\n', ['hunter2\n'])).toBe('password=***, again\n')
    expect(maskString('token tok3n\n', ['  tok3n  '])).toBe('token ***\n')
    expect(maskedValues(['  a  '])).toEqual(['  a  '])
  })

  it('leaves secrets that are too short to mask alone', () => {
    expect(maskString('a b ab abc', ['a', 'ab', ''])).toBe('a b ab abc')
    expect(new SecretMasker(['a', '']).isEmpty).toBe(true)
  })

  for (const {secrets, input} of CASES) {
    describe(`secrets ${JSON.stringify(secrets)}`, () => {
      const expected = maskString(input, secrets)

      it('one-shot output contains no secret', () => {
        for (const secret of maskable(secrets)) expect(expected).not.toContain(secret)
      })

      it('gives the one-shot result however the input is split in two or three', () => {
        for (let i = 0; i <= input.length; i++) {
          expect(streamed(secrets, [input.slice(0, i), input.slice(i)])).toBe(expected)
          for (let j = i; j <= input.length; j += 3) {
            expect(streamed(secrets, [input.slice(0, i), input.slice(i, j), input.slice(j)])).toBe(expected)
          }
        }
      })

      it('gives the one-shot result one character at a time', () => {
        const out = streamed(secrets, [...input.split('')])
        expect(out).toBe(expected)
        for (const secret of maskable(secrets)) expect(out).not.toContain(secret)
      })

      it('never emits the start of a secret that a later chunk could complete', () => {
        const masker = new SecretMasker(secrets)
        let out = ''
        for (const ch of input.split('')) {
          out += masker.push(ch)
          expect(expected.startsWith(out)).toBe(true)
        }
      })
    })
  }

  it('holds back at most the longest secret less one character', () => {
    const masker = new SecretMasker(['abcdef'])
    expect(masker.push('xxabcde')).toBe('xx')
    expect(masker.push('f!')).toBe('***!')
    expect(masker.push('abc')).toBe('')
    expect(masker.flush()).toBe('abc')
  })

  it('agrees with the one-shot mask on random text split at random points', () => {
    let seed = 42
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % n
    }
    const word = (length: number): string => Array.from({length}, () => 'ab'[random(2)]).join('')
    for (let round = 0; round < 300; round++) {
      const secrets = Array.from({length: 1 + random(3)}, () => word(3 + random(4)))
      const input = word(random(40))
      const cuts = [...new Set(Array.from({length: random(6)}, () => random(input.length + 1)))].sort((a, b) => a - b)
      const chunks = [0, ...cuts].map((start, i) => input.slice(start, [...cuts, input.length][i]))
      const expected = maskString(input, secrets)
      expect(streamed(secrets, chunks), JSON.stringify({secrets, chunks})).toBe(expected)
      for (const secret of secrets) expect(expected).not.toContain(secret)
    }
  })

  it('passes text through untouched without secrets', () => {
    const masker = new SecretMasker([])
    expect(masker.push('anything')).toBe('anything')
    expect(masker.flush()).toBe('')
  })
})
