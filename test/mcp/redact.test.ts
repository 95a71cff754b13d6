import {describe, expect, it} from 'vitest'

import {Redactor} from '../../src/mcp/redact.js'

describe('Redactor', () => {
  it('masks every string of a JSON value and keeps its keys and other values', () => {
    const redactor = new Redactor(['hunter22'])
    const value = {hunter22: 'pw=hunter22', list: ['a', 'xhunter22x', 3, null, true], nested: {deep: {text: 'hunter22'}}}
    expect(redactor.json(value)).toEqual({hunter22: 'pw=***', list: ['a', 'x***x', 3, null, true], nested: {deep: {text: '***'}}})
    // The input is left as it was.
    expect(value.nested.deep.text).toBe('hunter22')
  })

  it('masks each line of a multi-line secret, as run logs are masked', () => {
    const key = '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----\n'
    const redactor = new Redactor([key])
    expect(redactor.text('printed: MIIEvQIBADANBgkqhkiG9w0BAQEFAASC')).toBe('printed: ***')
  })

  it('masks overlapping secrets as one', () => {
    const redactor = new Redactor(['abcdef', 'defghi'])
    expect(redactor.text('xxabcdefghixx')).toBe('xx***xx')
  })

  it('ignores values too short to mask and leaves text alone without secrets', () => {
    expect(new Redactor(['ab', '']).text('ab ab')).toBe('ab ab')
    expect(new Redactor([]).json({a: 'b'})).toEqual({a: 'b'})
  })

  it('masks the part of a secret a window shows when the secret crosses its edge', () => {
    const redactor = new Redactor(['secret-token'])
    const text = 'aaa secret-token bbb'
    // The window [0, 8) shows "aaa secr": the secret begins inside it.
    expect(redactor.window(text, 0, 8)).toBe('aaa ***')
    // The window [10, 20) shows "oken bbb" plus: the secret ends inside it.
    expect(redactor.window(text, 10, 20)).toBe('*** bbb')
    expect(redactor.window(text, 17, 20)).toBe('bbb')
  })
})
