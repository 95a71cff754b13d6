import {describe, expect, test} from 'vitest'

import {formatDiagnostic} from '../../../src/engine/errors.js'
import {parseDotenv} from '../../../src/engine/pipeline/dotenv.js'

const read = (text: string) => {
  const {values, diagnostics} = parseDotenv(text, '.env')
  return {values: {...values}, problems: diagnostics.map(formatDiagnostic)}
}

describe('parseDotenv', () => {
  test('NAME=value lines, export, blank lines and comments; bare values are trimmed and end at " #"', () => {
    expect(read('# a comment\n\nA=1\nexport B = two words  \n  C=x#y # note\nD=\nE=a=b\n').values).toEqual({A: '1', B: 'two words', C: 'x#y', D: '', E: 'a=b'})
  })

  test('single quotes keep the text as written; double quotes read escapes; both may span lines', () => {
    const {values, problems} = read(`S='a\\nb $HOME # not a comment'\nD="a\\nb\\t\\"c\\" \\\\ \\$x"\nM="line one\nline two" # after\nN='one\ntwo'\n`)
    expect(problems).toEqual([])
    expect(values).toEqual({S: 'a\\nb $HOME # not a comment', D: 'a\nb\t"c" \\ $x', M: 'line one\nline two', N: 'one\ntwo'})
  })

  test('nothing is expanded, a later line wins, CRLF and a byte order mark are read', () => {
    expect(read('\uFEFFA=$HOME\r\nA=${USER}\r\nB="x"\r\n').values).toEqual({A: '${USER}', B: 'x'})
  })

  test('malformed lines are reported with line and column, without quoting values after the quote', () => {
    expect(read('GOOD=1\nnot a line\n1BAD=x\n  export  X="open\nY=2\n').problems).toEqual([
      '.env:2:1: expected NAME=value, got "not a line"',
      '.env:3:1: expected a variable name of letters, digits and "_" not starting with a digit, got "1BAD"',
      '.env:4:13: the value\'s double quote is never closed',
    ])
    expect(read(`Q="a" secret-tail\n`).problems).toEqual(['.env:1:6: expected the end of the line (or a # comment) after the closing quote'])
  })
})
