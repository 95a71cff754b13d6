import {describe, expect, it} from 'vitest'

import {maskString, MIN_SECRET_LENGTH, SecretMasker} from '../../../src/engine/run/masker.js'

const CASES: Array<{secrets: string[]; input: string}> = [
  {secrets: ['hunter2'], input: 'login with hunter2, again hunter2hunter2 and hunter'},
  {secrets: ['password', 'pass'], input: 'pass password passwor passpassword p'},
  {secrets: ['abcd', 'cdef'], input: 'abcdef cdefab abcabcd xcdefx'},
  {secrets: ['aaa', 'aaaa'], input: 'aa aaa aaaa aaaaa aaaaaaa aaaaaaaaaa'},
  {secrets: ['line1\nline2', 'tok'], input: 'x line1\nline2 y line1\nline3 tok\n'},
  {secrets: ['sécret✓', 'ключ'], input: 'é sécret✓ ключ ключи 😀sécret✓😀'},
  {secrets: ['s3cr3t', 'ab', ''], input: 'ab s3cr3 s3cr3t ab s3cr3ts3cr3t'},
]

function streamed(secrets: string[], chunks: string[]): string {
  const masker = new SecretMasker(secrets)
  return chunks.map((c) => masker.push(c)).join('') + masker.flush()
}

function maskable(secrets: string[]): string[] {
  return secrets.filter((s) => s.length >= MIN_SECRET_LENGTH)
}

describe('SecretMasker', () => {
  it('masks every occurrence, longest secret first', () => {
    expect(maskString('pass password', ['pass', 'password'])).toBe('*** ***')
    expect(maskString('x hunter2 y hunter2', ['hunter2'])).toBe('x *** y ***')
    expect(maskString('abcdef', ['abcd', 'cdef'])).toBe('***ef')
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
