import {describe, expect, it} from 'vitest'

import {retryReason} from '../../../src/engine/run/job-life.js'

describe('which retry: ending an attempt is', () => {
  it('never retries a job whose image could not be made present: the run makes each image present once', () => {
    expect(retryReason({status: 'failed', error: {kind: 'image', message: 'could not pull image "nope:1"'}})).toBeUndefined()
  })

  it('tells a failed step from an infrastructure failure and a timeout, and never retries a success or a cancel', () => {
    expect(retryReason({status: 'failed'})).toBe('failure')
    expect(retryReason({status: 'failed', error: {kind: 'artifact', message: 'unsafe path'}})).toBe('failure')
    expect(retryReason({status: 'failed', error: {kind: 'infra', message: 'engine gone'}})).toBe('infra')
    expect(retryReason({status: 'failed', error: {kind: 'service', message: 'db not ready'}})).toBe('infra')
    expect(retryReason({status: 'timed_out', error: {kind: 'timeout', message: 'too slow'}})).toBe('timed_out')
    expect(retryReason({status: 'succeeded'})).toBeUndefined()
    expect(retryReason({status: 'cancelled', error: {kind: 'cancelled', message: 'Ctrl-C'}})).toBeUndefined()
  })
})
