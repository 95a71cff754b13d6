import {describe, expect, it} from 'vitest'

import {BuildContexts} from '../../../src/engine/cache/build-context.js'
import {OrcaError} from '../../../src/engine/errors.js'
import type {Executor, ImageRequest} from '../../../src/engine/executor/types.js'
import type {OrcaEvent} from '../../../src/engine/records/events.js'
import {RunEmitter} from '../../../src/engine/run/emitter.js'
import {ExecutorSession} from '../../../src/engine/run/executor-session.js'
import {ImageUnavailableError, RunImages} from '../../../src/engine/run/run-images.js'
import {job} from '../../helpers/pipeline.js'

/** An executor that records what it was asked to prepare; `missing` images fail, each after `delay` ms. */
function images(options: {inspect?: (ref: string) => Promise<string | undefined>; missing?: string[]; delay?: number} = {}) {
  const calls = {created: 0, requests: [] as ImageRequest[], cleaned: [] as string[], inFlight: 0, maxInFlight: 0}
  const events: OrcaEvent[] = []
  const executor: Executor = {
    prepare: async () => new Map(),
    prepareImage: async (request, {onEvent}) => {
      calls.requests.push(request)
      calls.maxInFlight = Math.max(calls.maxInFlight, ++calls.inFlight)
      await new Promise((r) => setTimeout(r, options.delay ?? 1))
      calls.inFlight--
      const name = request.kind === 'pull' ? request.ref : request.label
      if (options.missing?.includes(name)) throw new OrcaError('infra', `could not pull image "${name}": not found`, {hint: 'check the name'})
      onEvent?.({type: 'image.pull', image: name, status: 'Pull complete'})
      return `sha256:${name}`
    },
    runJob: async () => ({status: 'succeeded', steps: [], artifacts: [], cleanup: 'none'}),
    cleanup: async (runId) => void calls.cleaned.push(runId),
    findLeaks: async () => [],
  }
  const session = new ExecutorSession(async () => {
    calls.created++
    return executor
  })
  const emitter = new RunEmitter('r', [{handle: (e) => events.push(e)}], [])
  const run = new RunImages(session, emitter, new AbortController().signal, {projectId: 'p', contexts: new BuildContexts('/nowhere'), ...(options.inspect ? {imageId: options.inspect} : {})})
  return {calls, events, session, run}
}

describe('ExecutorSession', () => {
  it('creates the executor once, on first use, and cleans up only one that was created', async () => {
    const {calls, session} = images()
    expect(session.created).toBe(false)
    await session.cleanup('r')
    expect(calls.cleaned).toEqual([])
    await Promise.all([session.get(), session.get()])
    expect(calls.created).toBe(1)
    await session.cleanup('r')
    expect(calls.cleaned).toEqual(['r'])
  })
})

describe('RunImages', () => {
  it('answers a present image by inspection without creating the executor, and pulls one the engine lacks', async () => {
    const known = images({inspect: async (ref) => (ref === 'x:1' ? 'sha256:inspected' : undefined)})
    expect(await known.run.idForKey(job('a', {image: 'x:1'}))).toBe('sha256:inspected')
    expect(known.calls.created).toBe(0)
    expect(await known.run.idForKey(job('b', {image: 'y:1'}))).toBe('sha256:y:1')
    expect(known.calls.requests).toEqual([{kind: 'pull', ref: 'y:1'}])
  })

  it('pulls an image with pull: always or a platform even when inspection finds it, with the policy and platform', async () => {
    const {run, calls} = images({inspect: async () => 'sha256:local'})
    expect(await run.idForKey(job('a', {image: 'x:1', pull: 'always'}))).toBe('sha256:x:1')
    expect(await run.idForKey(job('b', {image: 'x:1', platform: 'linux/arm64'}))).toBe('sha256:x:1')
    expect(calls.requests).toEqual([
      {kind: 'pull', ref: 'x:1', pull: 'always'},
      {kind: 'pull', ref: 'x:1', platform: 'linux/arm64'},
    ])
  })

  it('prepares each distinct image once however many jobs ask at the same time, all of them concurrently', async () => {
    const {run, calls, events} = images({delay: 30})
    const ids = await Promise.all([run.forJob(job('a', {image: 'x:1'})), run.forJob(job('b', {image: 'x:1'})), run.forJob(job('c', {image: 'y:1'}))])
    expect(ids).toEqual(['sha256:x:1', 'sha256:x:1', 'sha256:y:1'])
    expect(calls.requests.map((r) => (r.kind === 'pull' ? r.ref : r.label))).toEqual(['x:1', 'y:1'])
    // Side by side, not one after the other.
    expect(calls.maxInFlight).toBe(2)
    expect(events.filter((e) => e.type === 'image.ready').map((e) => (e as {image: string}).image).sort()).toEqual(['x:1', 'y:1'])
    expect(events.find((e) => e.type === 'image.ready')).toMatchObject({source: 'pulled'})
  })

  it('fails only the jobs of an image that cannot be pulled, with its error and hint', async () => {
    const {run, events} = images({missing: ['gone:1']})
    const failed = run.forJob(job('a', {image: 'gone:1'}))
    await expect(failed).rejects.toBeInstanceOf(ImageUnavailableError)
    await expect(failed).rejects.toMatchObject({kind: 'infra', message: expect.stringContaining('gone:1'), hint: 'check the name'})
    expect(await run.forJob(job('b', {image: 'x:1'}))).toBe('sha256:x:1')
    expect(events.filter((e) => e.type === 'image.failed')).toEqual([expect.objectContaining({image: 'gone:1'})])
  })

  it('starts pulls of missing images as soon as asked to prefetch, and none of images the engine has', async () => {
    const {run, calls} = images({inspect: async (ref) => (ref === 'here:1' ? 'sha256:here' : undefined)})
    run.prefetch([job('a', {image: 'here:1'}), job('b', {image: 'gone:1'}), job('g', {steps: []})])
    await new Promise((r) => setTimeout(r, 20))
    expect(calls.requests).toEqual([{kind: 'pull', ref: 'gone:1'}])
  })

  it('keeps an unreachable engine the run\'s error, not one image\'s', async () => {
    const emitter = new RunEmitter('r', [], [])
    const session = new ExecutorSession(async () => {
      throw new OrcaError('infra', 'cannot reach the Docker engine')
    })
    const run = new RunImages(session, emitter, new AbortController().signal, {projectId: 'p', contexts: new BuildContexts('/nowhere')})
    const failed = run.forJob(job('a', {image: 'x:1'}))
    await expect(failed).rejects.toThrow('cannot reach the Docker engine')
    await expect(failed).rejects.not.toBeInstanceOf(ImageUnavailableError)
  })
})
