import {describe, expect, it} from 'vitest'

import {failedOnlyForMissingImages} from '../../src/cli/run-pipeline.js'
import type {JobStatus} from '../../src/engine/records/events.js'

const result = (jobs: Record<string, JobStatus>, missing: string[], status: 'failed' | 'succeeded' = 'failed') => ({
  status,
  jobs: new Map(Object.entries(jobs)),
  missingImages: new Set(missing),
})

describe('the exit code of a run with missing images', () => {
  it('is an infrastructure error when every failed job failed for its missing image, the others having run', () => {
    expect(failedOnlyForMissingImages(result({a: 'failed', b: 'succeeded', c: 'skipped'}, ['a']))).toBe(true)
  })

  it('is a job failure when a job also failed on its own, or timed out', () => {
    expect(failedOnlyForMissingImages(result({a: 'failed', b: 'failed'}, ['a']))).toBe(false)
    expect(failedOnlyForMissingImages(result({a: 'failed', b: 'timed_out'}, ['a']))).toBe(false)
  })

  it('is a job failure when no image was missing', () => {
    expect(failedOnlyForMissingImages(result({a: 'failed'}, []))).toBe(false)
  })
})
