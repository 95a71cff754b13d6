import {describe, expect, it} from 'vitest'

import {exitCode, OrcaError} from '../../src/engine/errors.js'

describe('exit codes', () => {
  it('are the documented ones: 0 success, 1 a job failed, 2 usage or configuration, 3 infrastructure, 130 cancelled', () => {
    expect(['succeeded', 'jobFailed', 'usage', 'config', 'infra', 'cancelled'].map((k) => exitCode(k as never))).toEqual([0, 1, 2, 2, 3, 130])
  })

  it('of an error come from its kind through the same table, a bug exiting 1', () => {
    expect(new OrcaError('infra', 'Docker is not reachable').exitCode).toBe(exitCode('infra'))
    expect(new OrcaError('internal', 'bug').exitCode).toBe(1)
  })
})
