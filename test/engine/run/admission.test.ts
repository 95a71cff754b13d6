import {describe, expect, it} from 'vitest'

import {parseExpression} from '../../../src/engine/pipeline/expression.js'
import type {Job} from '../../../src/engine/pipeline/types.js'
import type {JobStatus} from '../../../src/engine/records/events.js'
import {admitJob, type AdmissionContext} from '../../../src/engine/run/admission.js'
import {job} from '../../helpers/pipeline.js'

const states = (table: Record<string, JobStatus>): AdmissionContext => ({
  jobs: new Map(),
  stateOf: (name) => table[name]!,
  skippedByCondition: new Set(),
  envOverrides: {},
})

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
  const context = {jobs, stateOf: (name: string) => states[name] ?? 'pending', skippedByCondition: new Set(skippedByCondition), envOverrides: {}}
  return admitJob(subjectJob, context, undefined)
}

describe('admitJob with conditions', () => {
  it('by default: runs once every need succeeded, skipped as soon as one did not', () => {
    expect(decide({}, {build: 'succeeded', 'test-a': 'cached', 'test-b': 'succeeded'})).toEqual({action: 'run'})
    expect(decide({}, {build: 'succeeded', 'test-a': 'running', 'test-b': 'succeeded'})).toEqual({action: 'wait'})
    expect(decide({}, {build: 'succeeded', 'test-a': 'running', 'test-b': 'failed'})).toEqual({action: 'skip', reason: 'needs test-b (failed)'})
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

  it('if: reads one expansion a job needs by its own name', () => {
    const onA = {needs: ['test-a'], condition: condition("needs.test-a.result == 'success' && needs.test.result == 'success'")}
    expect(decide(onA, {build: 'succeeded', 'test-a': 'succeeded', 'test-b': 'failed'})).toEqual({action: 'run'})
  })

  it('if: without needs states applies on top of on_success, with the env and matrix values of the job', () => {
    const onMain = {condition: condition("env.BRANCH == 'main' && matrix.os == 'a'"), matrix: {job: 'x', values: {os: 'a'}}}
    expect(decide(onMain, {build: 'succeeded', 'test-a': 'succeeded', 'test-b': 'succeeded'})).toEqual({action: 'run'})
    expect(decide(onMain, {build: 'succeeded', 'test-a': 'failed', 'test-b': 'succeeded'})).toMatchObject({action: 'skip'})
    const other = {condition: condition("matrix.os == 'b'"), matrix: {job: 'x', values: {os: 'a'}}}
    expect(decide(other, {build: 'succeeded', 'test-a': 'succeeded', 'test-b': 'succeeded'})).toEqual({action: 'skip', reason: "if: matrix.os == 'b' is false", byCondition: true})
  })

  it('a job behind one a condition left out is left out on purpose too', () => {
    expect(decide({}, {build: 'succeeded', 'test-a': 'skipped', 'test-b': 'succeeded'}, ['test-a'])).toEqual({action: 'skip', reason: 'needs test-a (skipped)', byCondition: true})
  })
})
