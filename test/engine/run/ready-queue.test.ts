import {describe, expect, it} from 'vitest'

import {planRun} from '../../../src/engine/plan/plan.js'
import type {Job} from '../../../src/engine/pipeline/types.js'
import {ReadyQueue} from '../../../src/engine/run/ready-queue.js'
import {job, pipeline} from '../../helpers/pipeline.js'

function queueOf(jobs: Job[], concurrency: number): ReadyQueue {
  const p = pipeline(jobs)
  return new ReadyQueue(planRun(p, []), concurrency)
}

/** A start that never settles by itself: the test settles jobs through `finish`. */
function starter() {
  const started: string[] = []
  const resolvers = new Map<string, () => void>()
  const start = (j: Job): Promise<void> => {
    started.push(j.name)
    return new Promise<void>((resolve) => resolvers.set(j.name, resolve))
  }
  return {started, start, finish: (name: string) => resolvers.get(name)!()}
}

describe('ReadyQueue', () => {
  it('starts ready jobs in plan order up to the limit and frees a slot when a job\'s promise settles', async () => {
    const queue = queueOf([job('a'), job('b'), job('c')], 2)
    const {started, start, finish} = starter()
    queue.fill(() => undefined, start, () => {})
    expect(started).toEqual(['a', 'b'])
    expect(queue.states.get('c')).toBe('pending')
    queue.settle('a', 'succeeded')
    // The state alone does not free the slot; the job's promise does.
    queue.fill(() => undefined, start, () => {})
    expect(started).toEqual(['a', 'b'])
    finish('a')
    await queue.next()
    queue.fill(() => undefined, start, () => {})
    expect(started).toEqual(['a', 'b', 'c'])
    expect(queue.states.get('c')).toBe('running')
  })

  it('skips the dependents of a failed job within one pass, transitively, with the reason of each', () => {
    const queue = queueOf([job('a'), job('b', {needs: ['a']}), job('c', {needs: ['b']})], 4)
    queue.settle('a', 'failed')
    const skipped: Array<[string, string]> = []
    queue.fill(() => undefined, () => Promise.resolve(), (j, reason) => skipped.push([j.name, reason]))
    expect(skipped).toEqual([
      ['b', 'needs a (failed)'],
      ['c', 'needs b (skipped)'],
    ])
    expect(queue.hasPending).toBe(false)
    expect(queue.runStatus(false)).toBe('failed')
  })

  it('a job that settles inside start (a group) lets its dependents start in the same pass', () => {
    const queue = queueOf([job('g', {steps: []}), job('after', {needs: ['g']})], 4)
    const started: string[] = []
    queue.fill(
      () => undefined,
      (j) => {
        started.push(j.name)
        if (j.name === 'g') queue.settle('g', 'succeeded')
        return new Promise(() => {})
      },
      () => {},
    )
    expect(started).toEqual(['g', 'after'])
  })

  it('skips every pending job with the stop reason once the run is stopped', () => {
    const queue = queueOf([job('a'), job('b')], 4)
    const skipped: string[] = []
    queue.fill(() => 'run cancelled', () => Promise.resolve(), (j, reason) => skipped.push(`${j.name}: ${reason}`))
    expect(skipped).toEqual(['a: run cancelled', 'b: run cancelled'])
    expect(queue.runStatus(true)).toBe('cancelled')
  })

  it('derives the run status from the jobs: failed before timed out, a skip fails the run, cached counts as success', () => {
    const queue = queueOf([job('a'), job('b'), job('c')], 4)
    queue.settle('a', 'cached')
    queue.settle('b', 'succeeded')
    queue.settle('c', 'succeeded')
    expect(queue.runStatus(false)).toBe('succeeded')
    queue.settle('c', 'timed_out')
    expect(queue.runStatus(false)).toBe('timed_out')
    queue.settle('b', 'failed')
    expect(queue.runStatus(false)).toBe('failed')
    queue.settle('b', 'skipped')
    queue.settle('c', 'succeeded')
    expect(queue.runStatus(false)).toBe('failed')
  })
})
