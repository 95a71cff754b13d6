import {describe, expect, it} from 'vitest'

import {
  checkExpression,
  evaluateExpression,
  ExpressionError,
  parseExpression,
  unwrapExpression,
  decidesOnNeeds,
  type EvaluationContext,
} from '../../../src/engine/pipeline/expression.js'

const context = (more: Partial<EvaluationContext> = {}): EvaluationContext => ({
  env: {BRANCH: 'main', EMPTY: ''},
  matrix: {node: '20', os: 'linux'},
  needs: {test: 'failure', build: 'success'},
  success: false,
  failure: true,
  ...more,
})
const evaluate = (text: string, more: Partial<EvaluationContext> = {}): boolean => evaluateExpression(parseExpression(text), context(more))
const errorOf = (text: string): {offset: number; message: string} => {
  try {
    parseExpression(text)
  } catch (error) {
    if (error instanceof ExpressionError) return {offset: error.offset, message: error.message}
    throw error
  }
  throw new Error(`parsed: ${text}`)
}

describe('condition expressions', () => {
  it('compares names with single-quoted strings, numbers and booleans, as text', () => {
    expect(evaluate("needs.test.result == 'failure'")).toBe(true)
    expect(evaluate("needs.build.result != 'success'")).toBe(false)
    expect(evaluate('matrix.node == 20')).toBe(true)
    expect(evaluate("matrix.node == '20'")).toBe(true)
    expect(evaluate("env.BRANCH == 'Main'")).toBe(false)
    expect(evaluate("'it''s' == 'it''s'")).toBe(true)
    expect(evaluate("env.MISSING == ''")).toBe(true)
  })

  it('gives && precedence over ||, ! over both, and honours parentheses', () => {
    expect(evaluate("matrix.os == 'mac' && matrix.node == 20 || env.BRANCH == 'main'")).toBe(true)
    expect(evaluate("matrix.os == 'mac' && (matrix.node == 20 || env.BRANCH == 'main')")).toBe(false)
    expect(evaluate("!(matrix.os == 'mac') && !false")).toBe(true)
    expect(evaluate('!!env.BRANCH')).toBe(true)
  })

  it('treats false, null, empty text and 0 as false', () => {
    expect(evaluate('env.EMPTY')).toBe(false)
    expect(evaluate('env.MISSING')).toBe(false)
    expect(evaluate('env.BRANCH')).toBe(true)
    expect(evaluate('0 || null || false')).toBe(false)
  })

  it('calls the status functions', () => {
    expect(evaluate('failure()')).toBe(true)
    expect(evaluate('success()')).toBe(false)
    expect(evaluate('always()')).toBe(true)
    expect(evaluate('!cancelled()')).toBe(true)
    expect(decidesOnNeeds(parseExpression("always() && env.X == 'y'"))).toBe(true)
    expect(decidesOnNeeds(parseExpression("env.X == 'y'"))).toBe(false)
    expect(decidesOnNeeds(parseExpression("needs.test.result == 'failure'"))).toBe(true)
  })

  it('takes the ${{ }} form, with the offset of what is inside', () => {
    expect(unwrapExpression("${{ failure() }}")).toEqual({text: ' failure() ', offset: 3})
    expect(unwrapExpression("failure()")).toEqual({text: 'failure()', offset: 0})
  })

  it('says where the syntax breaks', () => {
    expect(errorOf("env.A = 'x'")).toEqual({offset: 6, message: 'unexpected character "="; compare with "=="'})
    expect(errorOf("env.A == 'x")).toEqual({offset: 9, message: 'unterminated string; strings are written in single quotes'})
    expect(errorOf('env.A == "x"')).toMatchObject({offset: 9})
    expect(errorOf("(env.A == 'x'")).toEqual({offset: 13, message: 'expected ")" to close the "(" at column 1'})
    expect(errorOf("env.A & env.B")).toMatchObject({offset: 6, message: 'unexpected character "&"; write "&&"'})
    expect(errorOf('env.A ==')).toEqual({offset: 8, message: 'the expression ends too early; expected a value, a name or "("'})
    expect(errorOf("env.A 'x'")).toMatchObject({offset: 6})
    expect(errorOf('failure(1)')).toMatchObject({offset: 8})
    expect(errorOf('env.')).toMatchObject({offset: 4, message: 'expected a name after "."'})
    expect(errorOf('')).toMatchObject({offset: 0})
    expect(errorOf('!'.repeat(100) + 'true').message).toMatch(/nested more than 64 deep/)
  })

  it('checks names against what the job offers', () => {
    const check = (text: string, matrix?: string[]) =>
      checkExpression(parseExpression(text), {matrix: matrix && new Set(matrix), needs: new Set(['test'])}).map((e) => [e.offset, e.message])
    expect(check("needs.test.result == 'failure' && env.CI")).toEqual([])
    expect(check("matrix.node == 20", ['node'])).toEqual([])
    expect(check('matrix.node')).toEqual([[0, '"matrix.node": the job has no matrix']])
    expect(check('matrix.nod', ['node'])).toEqual([[0, 'unknown matrix variable "nod"; the matrix has "node"']])
    expect(check('needs.tset.result')).toEqual([[0, '"tset" is not in the job\'s needs ("test")']])
    expect(check('needs.test.status')).toEqual([[0, 'expected needs.JOB.result, got "needs.test.status"']])
    expect(check('true && github.ref')).toEqual([[8, 'unknown name "github"; expected env.NAME, matrix.NAME, needs.JOB.result or a function such as failure()']])
    expect(check('contains()')).toEqual([[0, 'unknown function contains(); expected success(), failure(), always(), cancelled()']])
    expect(check('env')).toEqual([[0, 'expected env.NAME, got "env"']])
  })
})
