import {describe, expect, it} from 'vitest'

import type {JobStatus} from '../../../src/engine/records/events.js'
import {admitJob} from '../../../src/engine/run/admission.js'
import {job} from '../../helpers/pipeline.js'

const states = (table: Record<string, JobStatus>) => (name: string): JobStatus => table[name]!

describe('admitJob', () => {
  it('runs a job once every need succeeded or was cached, and waits while one is pending or running', () => {
    const j = job('test', {needs: ['build', 'lint']})
    expect(admitJob(j, states({build: 'succeeded', lint: 'cached'}), undefined)).toEqual({action: 'run'})
    expect(admitJob(j, states({build: 'succeeded', lint: 'running'}), undefined)).toEqual({action: 'wait'})
    expect(admitJob(j, states({build: 'pending', lint: 'cached'}), undefined)).toEqual({action: 'wait'})
  })

  it('skips a job at once when a need ended without success, naming the first such need and its state', () => {
    const j = job('test', {needs: ['build', 'lint']})
    expect(admitJob(j, states({build: 'running', lint: 'timed_out'}), undefined)).toEqual({action: 'skip', reason: 'needs lint (timed_out)'})
    expect(admitJob(j, states({build: 'skipped', lint: 'failed'}), undefined)).toEqual({action: 'skip', reason: 'needs build (skipped)'})
  })

  it('skips a job of a stopped run with the stop\'s reason, unless a failed need explains it better', () => {
    expect(admitJob(job('a'), states({}), 'run cancelled')).toEqual({action: 'skip', reason: 'run cancelled'})
    const j = job('test', {needs: ['build']})
    expect(admitJob(j, states({build: 'failed'}), 'fail-fast')).toEqual({action: 'skip', reason: 'needs build (failed)'})
  })
})
