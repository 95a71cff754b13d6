import {describe, expect, it} from 'vitest'

import {ConfigError, OrcaError} from '../../src/engine/errors.js'
import {Redactor} from '../../src/mcp/redact.js'
import {boundedList, boundedText, errorText, toolError, toolResult} from '../../src/mcp/results.js'

describe('tool results', () => {
  it('carry the data as structured content and a short text, both masked', () => {
    const result = toolResult('token tok-123456 used', {value: 'tok-123456', count: 2}, new Redactor(['tok-123456']))
    expect(result).toEqual({content: [{type: 'text', text: 'token *** used'}], structuredContent: {value: '***', count: 2}})
  })

  it('say what a configuration error says, one problem a line with its position, and the hint', () => {
    const error = new ConfigError(
      [
        {file: 'jobs.yml', line: 4, column: 5, path: 'jobs.build.timeout', message: 'expected a duration like "10m", got "ten"'},
        {file: 'jobs.yml', path: '', message: 'no such file'},
      ],
      {hint: 'create one with "orca init"'},
    )
    expect(errorText(error)).toBe('jobs.yml:4:5 jobs.build.timeout: expected a duration like "10m", got "ten"\njobs.yml: no such file\nhint: create one with "orca init"')
  })

  it('list at most 100 problems and count the rest', () => {
    const diagnostics = Array.from({length: 130}, (_, i) => ({file: 'jobs.yml', line: i + 1, column: 1, path: `jobs.j${i}`, message: 'bad'}))
    const lines = errorText(new ConfigError(diagnostics)).split('\n')
    expect(lines).toHaveLength(101)
    expect(lines.at(-1)).toBe('… and 30 more problem(s)')
  })

  it('mark errors as tool errors, masked, and never carry a stack', () => {
    const redactor = new Redactor(['p4ssw0rd'])
    const known = toolError(new OrcaError('usage', 'unknown target "p4ssw0rd"', {hint: 'did you mean "build"?'}), redactor)
    expect(known).toEqual({isError: true, content: [{type: 'text', text: 'error: unknown target "***"\nhint: did you mean "build"?'}]})
    const unexpected = toolError(new TypeError('x is undefined'), redactor)
    expect(unexpected.content).toEqual([{type: 'text', text: expect.stringMatching(/^orca: unexpected error: x is undefined\nhint: /)}])
    expect(JSON.stringify(unexpected)).not.toContain('    at ')
  })
})

describe('bounds', () => {
  it('boundedList keeps a page of items and counts what it left out', () => {
    expect(boundedList([1, 2, 3, 4, 5], 2)).toEqual({items: [1, 2], total: 5, omitted: 3})
    expect(boundedList([1, 2, 3, 4, 5], 2, 4)).toEqual({items: [5], total: 5, omitted: 4})
  })

  it('boundedText cuts a long string and says how much it cut', () => {
    expect(boundedText('short', 10)).toBe('short')
    expect(boundedText('x'.repeat(25), 10)).toBe(`${'x'.repeat(10)}… [orca: 15 more characters not shown]`)
  })
})
