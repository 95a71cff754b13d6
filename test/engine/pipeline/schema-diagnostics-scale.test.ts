import {describe, expect, it} from 'vitest'

import {ConfigError} from '../../../src/engine/errors.js'
import {parsePipeline} from '../../../src/engine/pipeline/parse.js'

describe('schema diagnostics at scale', () => {
  it('report every one of 2 000 broken jobs, in linear time (the test timeout is the bound)', () => {
    const rows = ['version: 1', 'image: busybox', 'jobs:']
    for (let i = 0; i < 2000; i++) rows.push(`  j${i}: {steps: [true], timeout: soon}`)
    let diagnostics: ConfigError['diagnostics'] = []
    try {
      parsePipeline(`${rows.join('\n')}\n`, 'jobs.yml', '/project/jobs.yml', {timeoutMs: 60_000, cleanup: 'always_remove'})
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      diagnostics = error.diagnostics
    }
    expect(diagnostics).toHaveLength(4000)
    expect(diagnostics[0]).toMatchObject({line: 4, path: 'jobs.j0.steps[0]'})
    expect(diagnostics[1]).toMatchObject({line: 4, path: 'jobs.j0.timeout'})
  })
})
