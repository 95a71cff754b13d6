import {describe, expect, it} from 'vitest'

import {parseExpression} from '../../../src/engine/pipeline/expression.js'
import type {Job} from '../../../src/engine/pipeline/types.js'
import {decideStart} from '../../../src/engine/run/conditions.js'
import type {JobStatus} from '../../../src/engine/run/events.js'
import {job} from '../../helpers/pipeline.js'

const condition = (source: string): Job['condition'] => ({source, expression: parseExpression(source)})

/** build → test-a, test-b (a matrix "test") → the job under test. */
function decide(subject: Partial<Job>, states: Record<string, JobStatus>, skippedByCondition: string[] = []) {
  const jobs = new Map<string, Job>([
    ['build', job('build')],
    ['test-a', job('test-a', {needs: ['build'], matrix: {job: 'test', values: {os: 'a'}}})],
    ['test-b', job('test-b', {needs: ['build'], matrix: {job: 'test', values: {os: 'b'}}})],
    ['lint', job('lint')],
  ])
  const subjectJob = job('subject', {needs: ['test-a', 'test-b'], env: {BRANCH: 'main'}, ...subject})
  jobs.set('subject', subjectJob)
  return decideStart(subjectJob, {jobs, states: new Map(Object.entries(states)), skippedByCondition: new Set(skippedByCondition), envOverrides: {}})
}

describe('when a job starts', () => {
  it('by default: runs once every need succeeded, skipped as soon as one did not', () => {
    expect(decide({}, {build: 'succeeded', 'test-a': 'cached', 'test-b': 'succeeded'})).toEqual({action: 'run'})
    expect(decide({}, {build: 'succeeded', 'test-a': 'running', 'test-b': 'succeeded'})).toEqual({action: 'wait'})
    expect(decide({}, {build: 'succeeded', 'test-a': 'running', 'test-b': 'failed'})).toEqual({action: 'skip', reason: 'needs test-b (failed)', byCondition: false})
  })

  it('when: always waits for everything it depends on, then runs whatever happened', () => {
    expect(decide({when: 'always'}, {build: 'succeeded', 'test-a': 'running', 'test-b': 'failed'})).toEqual({action: 'wait'})
    expect(decide({when: 'always'}, {build: 'failed', 'test-a': 'skipped', 'test-b': 'skipped'})).toEqual({action: 'run'})
  })

  it('when: on_failure runs after a failure anywhere before it, and is skipped (on purpose) otherwise', () => {
    expect(decide({when: 'on_failure'}, {build: 'succeeded', 'test-a': 'timed_out', 'test-b': 'succeeded'})).toEqual({action: 'run'})
    expect(decide({when: 'on_failure'}, {build: 'failed', 'test-a': 'skipped', 'test-b': 'skipped'})).toEqual({action: 'run'})
    expect(decide({when: 'on_failure'}, {build: 'succeeded', 'test-a': 'succeeded', 'test-b': 'succeeded'})).toEqual({
      action: 'skip',
      reason: 'when: on_failure, and no job it depends on failed',
      byCondition: true,
    })
  })

  it("if: reads a matrix need as one result, the worst of its expansions'", () => {
    const onFailure = {condition: condition("needs.test.result == 'failure'")}
    expect(decide(onFailure, {build: 'succeeded', 'test-a': 'succeeded', 'test-b': 'running'})).toEqual({action: 'wait'})
    expect(decide(onFailure, {build: 'succeeded', 'test-a': 'succeeded', 'test-b': 'failed'})).toEqual({action: 'run'})
    expect(decide(onFailure, {build: 'succeeded', 'test-a': 'succeeded', 'test-b': 'cached'})).toEqual({
      action: 'skip',
      reason: "if: needs.test.result == 'failure' is false",
      byCondition: true,
    })
  })

  it('if: without needs states applies on top of on_success, with the env and matrix values of the job', () => {
    const onMain = {condition: condition("env.BRANCH == 'main' && matrix.os == 'a'"), matrix: {job: 'x', values: {os: 'a'}}}
    expect(decide(onMain, {build: 'succeeded', 'test-a': 'succeeded', 'test-b': 'succeeded'})).toEqual({action: 'run'})
    expect(decide(onMain, {build: 'succeeded', 'test-a': 'failed', 'test-b': 'succeeded'})).toMatchObject({action: 'skip', byCondition: false})
    const other = {condition: condition("matrix.os == 'b'"), matrix: {job: 'x', values: {os: 'a'}}}
    expect(decide(other, {build: 'succeeded', 'test-a': 'succeeded', 'test-b': 'succeeded'})).toEqual({action: 'skip', reason: "if: matrix.os == 'b' is false", byCondition: true})
  })

  it('a job behind one a condition left out is left out on purpose too', () => {
    expect(decide({}, {build: 'succeeded', 'test-a': 'skipped', 'test-b': 'succeeded'}, ['test-a'])).toEqual({action: 'skip', reason: 'needs test-a (skipped)', byCondition: true})
  })
})
