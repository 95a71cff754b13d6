import {describe, expect, test} from 'vitest'

import {ConfigError, formatDiagnostic} from '../../../src/engine/errors.js'
import {parsePipeline} from '../../../src/engine/pipeline/parse.js'

/** Every diagnostic line a user would see for this jobs.yml. */
function problems(...rows: string[]): string[] {
  try {
    parsePipeline(`${rows.join('\n')}\n`, 'jobs.yml', '/project/jobs.yml', {timeoutMs: 60_000, cleanup: 'always_remove'})
  } catch (error) {
    if (error instanceof ConfigError) return error.diagnostics.map(formatDiagnostic)
    throw error
  }
  throw new Error('expected the pipeline to be rejected')
}

describe('a ": " in an unquoted step', () => {
  test('a step read as a one-key mapping is one diagnostic that suggests the quoted command', () => {
    expect(problems('version: 1', 'image: busybox', 'jobs:', '  a:', '    steps:', '      - echo key: value', '      - echo fine')).toEqual([
      `jobs.yml:6:9 jobs.a.steps[0]: the ": " in it makes this a mapping, not text; quote it: 'echo key: value'`,
    ])
  })

  test('in a flow list too, with quotes inside the command escaped as YAML wants', () => {
    expect(problems('version: 1', 'image: busybox', 'jobs:', "  a: {steps: [echo it's: 3]}")).toEqual([
      `jobs.yml:4:15 jobs.a.steps[0]: the ": " in it makes this a mapping, not text; quote it: 'echo it''s: 3'`,
    ])
  })

  test('a step mapping missing its run is still told so: its one key is a step key', () => {
    expect(problems('version: 1', 'image: busybox', 'jobs:', '  a:', '    steps:', '      - name: compile')).toEqual([
      'jobs.yml:6:9 jobs.a.steps[0]: missing required key "run"',
    ])
  })

  test('a ": " inside a value of a step mapping is a YAML error that suggests quoting the value', () => {
    expect(problems('version: 1', 'image: busybox', 'jobs:', '  a:', '    steps:', '      - name: greet', '        run: echo "to: you"')).toEqual([
      `jobs.yml:7:14: invalid YAML: Nested mappings are not allowed in compact mappings; a ": " inside a plain value starts a mapping: quote the value, e.g. run: 'echo "to: you"'`,
    ])
  })
})
