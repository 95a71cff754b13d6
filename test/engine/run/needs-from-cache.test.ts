import {describe, expect, it} from 'vitest'

import type {KeyedJob} from '../../../src/engine/cache/run-cache.js'
import type {PlannedKey} from '../../../src/engine/cache/plan-keys.js'
import type {OrcaError} from '../../../src/engine/errors.js'
import {parseExpression} from '../../../src/engine/pipeline/expression.js'
import {planRun} from '../../../src/engine/plan/plan.js'
import {startsOnlyAfterSuccess} from '../../../src/engine/run/admission.js'
import {checkNeedsInCache, restoredNeeds} from '../../../src/engine/run/needs-from-cache.js'
import {job, pipeline} from '../../helpers/pipeline.js'

const jobs = pipeline([
  job('deps'),
  job('gen', {cache: false, needs: ['deps']}),
  job('build', {needs: ['deps']}),
  job('test', {needs: ['build', 'gen']}),
  job('notify', {needs: ['test'], when: 'on_failure'}),
  job('unrelated'),
])

const row = (name: string, cache: PlannedKey['cache']): PlannedKey => ({
  job: name,
  cache,
  why: cache === 'hit' ? 'cached by run r1' : 'never cached',
  ...(cache === 'unknown' ? {} : {keyed: {key: name.padEnd(64, '0')} as KeyedJob}),
})

const thrown = (fn: () => void): OrcaError => {
  try {
    fn()
  } catch (error) {
    return error as OrcaError
  }
  throw new Error('expected an error')
}

describe('--needs-from-cache', () => {
  it('restores every planned job but the targets, and never a cache: false job, which cannot be stored', () => {
    expect([...restoredNeeds(jobs, planRun(jobs, ['test']))]).toEqual(['deps', 'build'])
    expect([...restoredNeeds(jobs, planRun(jobs, ['deps']))]).toEqual([])
  })

  it('takes a matrix job named as a target as all its expansions', () => {
    const matrix = {...pipeline([job('lib'), job('t-a', {needs: ['lib']}), job('t-b', {needs: ['lib']})]), matrices: {t: ['t-a', 't-b']}}
    expect([...restoredNeeds(matrix, planRun(matrix, ['t']))]).toEqual(['lib'])
  })

  it('names every missing need a success-gated target depends on, with its key and a hint listing them', () => {
    const plan = planRun(jobs, ['test'])
    const error = thrown(() => checkNeedsInCache(plan, restoredNeeds(jobs, plan), [row('deps', 'miss'), row('gen', 'disabled'), row('build', 'miss'), row('test', 'miss')]))
    expect(error.kind).toBe('usage')
    expect(error.message).toBe('--needs-from-cache: 2 jobs the targets need are not in the cache:\n  deps   key deps00000000  (never cached)\n  build  key build0000000  (never cached)')
    expect(error.hint).toContain('orca run deps build')
  })

  it('passes when every need is a hit, and leaves a key not known yet to the run', () => {
    const plan = planRun(jobs, ['test'])
    expect(() => checkNeedsInCache(plan, restoredNeeds(jobs, plan), [row('deps', 'hit'), row('build', 'hit'), row('test', 'miss')])).not.toThrow()
    expect(() => checkNeedsInCache(plan, restoredNeeds(jobs, plan), [row('deps', 'hit'), row('build', 'unknown')])).not.toThrow()
  })

  it('lets a target that runs after failures see a missing need as failed rather than refuse', () => {
    const plan = planRun(jobs, ['notify'])
    expect(() => checkNeedsInCache(plan, restoredNeeds(jobs, plan), [row('deps', 'hit'), row('build', 'hit'), row('test', 'miss')])).not.toThrow()
  })

  it('tells which jobs start only after their needs succeeded', () => {
    expect(startsOnlyAfterSuccess(job('a'))).toBe(true)
    expect(startsOnlyAfterSuccess(job('a', {when: 'always'}))).toBe(false)
    expect(startsOnlyAfterSuccess(job('a', {condition: {source: "env.X == 'y'", expression: parseExpression("env.X == 'y'")}}))).toBe(true)
    expect(startsOnlyAfterSuccess(job('a', {condition: {source: 'failure()', expression: parseExpression('failure()')}}))).toBe(false)
  })
})
