import {describe, expect, it} from 'vitest'

import {ConfigError} from '../../../src/engine/errors.js'
import {composeGitlab} from '../../../src/engine/import/gitlab-compose.js'
import type {ImportEntry} from '../../../src/engine/import/report.js'
import {parseCiText, REFERENCE} from '../../../src/engine/import/source.js'

const diagnostics = (fn: () => unknown): string[] => {
  try {
    fn()
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n')
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('reading a CI file', () => {
  it('a syntax error is a ConfigError at its line and column, never a crash', () => {
    expect(diagnostics(() => parseCiText('job:\n  script: [a\n', '.gitlab-ci.yml'))[0]).toMatch(/^\.gitlab-ci\.yml:3:1: invalid YAML/)
  })

  it('an alias bomb is refused before it is expanded', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({length: 8}, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n')
    expect(diagnostics(() => parseCiText(bomb, 'ci.yml')).join('\n')).toMatch(/^ci\.yml/)
  })

  it('an empty file or a list is a clear error', () => {
    expect(diagnostics(() => parseCiText('', 'ci.yml'))).toEqual(['ci.yml:1:1: the file is empty'])
    expect(diagnostics(() => parseCiText('- a\n', 'ci.yml'))).toEqual(['ci.yml:1:1: expected a mapping of keys (a CI file), got a list'])
  })

  it("keeps GitLab's !reference apart from commands, and resolves it, nested ones included", () => {
    const ci = parseCiText('.a:\n  script: [one]\n.b:\n  script:\n    - !reference [.a, script]\n    - two\njob:\n  script:\n    - !reference [.b, script]\n    - three\n', '.gitlab-ci.yml')
    expect((ci.data.job as {script: unknown[]}).script[0]).toEqual({[REFERENCE]: ['.b', 'script']})
    const entries: ImportEntry[] = []
    const composed = composeGitlab(ci, () => undefined, entries)
    expect((composed.data.job as {script: unknown[]}).script).toEqual([[['one'], 'two'], 'three'])
    expect(entries).toEqual([])
  })

  it('an extends cycle is an error where extends names it', () => {
    const ci = parseCiText('a:\n  extends: b\n  script: [x]\nb:\n  extends: a\n', '.gitlab-ci.yml')
    expect(diagnostics(() => composeGitlab(ci, () => undefined, []))).toEqual(['.gitlab-ci.yml:2:12 a.extends: extends forms a cycle: a -> b -> a'])
  })
})
