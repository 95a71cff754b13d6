import {describe, expect, it} from 'vitest'

import {OrcaError} from '../../../src/engine/errors.js'
import {planRun} from '../../../src/engine/plan/plan.js'
import {job, pipeline} from '../../helpers/pipeline.js'

const diamond = pipeline([
  job('test', {needs: ['build']}),
  job('lint', {needs: ['build']}),
  job('build'),
  job('docs'),
  job('all', {needs: ['test', 'lint'], steps: []}),
])

describe('planRun', () => {
  it('selects a target and its transitive needs, needs first', () => {
    const plan = planRun(diamond, ['all'])
    expect(plan.order).toEqual(['build', 'test', 'lint', 'all'])
    expect(plan.targets).toEqual(['all'])
    expect(plan.jobs.has('docs')).toBe(false)
  })

  it('plans every job when no target is given, keeping declaration order among ready jobs', () => {
    const plan = planRun(diamond, [])
    expect(plan.order).toEqual(['build', 'test', 'lint', 'docs', 'all'])
    expect(plan.targets).toEqual(plan.order)
  })

  it('records dependents inside the plan', () => {
    const plan = planRun(diamond, ['test'])
    expect(plan.dependents.get('build')).toEqual(['test'])
    expect(plan.dependents.get('test')).toEqual([])
  })

  it('rejects unknown targets as a usage error naming them and suggesting a close name', () => {
    let error: unknown
    try {
      planRun(diamond, ['tset', 'nope'])
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(OrcaError)
    const orcaError = error as OrcaError
    expect(orcaError.exitCode).toBe(2)
    expect(orcaError.message).toContain('unknown targets "tset", "nope"')
    expect(orcaError.message).toContain('jobs in /project/jobs.yml: test, lint, build, docs, all')
    expect(orcaError.hint).toBe('did you mean "test"?')
  })
})
