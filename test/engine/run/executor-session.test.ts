import {describe, expect, it} from 'vitest'

import type {Executor} from '../../../src/engine/executor/types.js'
import {planRun} from '../../../src/engine/plan/plan.js'
import {RunEmitter} from '../../../src/engine/run/emitter.js'
import {ExecutorSession} from '../../../src/engine/run/executor-session.js'
import {job, pipeline} from '../../helpers/pipeline.js'

function session(imageId?: (ref: string) => Promise<string | undefined>) {
  const calls = {created: 0, prepared: [] as string[][], cleaned: [] as string[]}
  const executor: Executor = {
    prepare: async (images) => {
      calls.prepared.push(images)
      return new Map(images.map((i) => [i, `sha256:prepared-${i}`]))
    },
    runJob: async () => ({status: 'succeeded', steps: [], artifacts: [], cleanup: 'none'}),
    cleanup: async (runId) => void calls.cleaned.push(runId),
    findLeaks: async () => [],
  }
  const p = pipeline([job('a', {image: 'x:1'}), job('b', {image: 'x:1'}), job('g', {steps: []})])
  const create = async (): Promise<Executor> => {
    calls.created++
    return executor
  }
  return {calls, session: new ExecutorSession(create, planRun(p, []), new RunEmitter('r', [], []), new AbortController().signal, imageId)}
}

describe('ExecutorSession', () => {
  it('creates and prepares the executor once, with the images of jobs that have steps', async () => {
    const {calls, session: s} = session()
    expect(s.created).toBe(false)
    await Promise.all([s.get(), s.get()])
    expect(calls.created).toBe(1)
    expect(calls.prepared).toEqual([['x:1']])
  })

  it('answers image IDs by inspection without creating the executor, and through prepare when inspection cannot', async () => {
    const known = session(async (ref) => (ref === 'x:1' ? 'sha256:inspected' : undefined))
    expect(await known.session.imageIdOf('x:1')).toBe('sha256:inspected')
    expect(known.calls.created).toBe(0)
    await known.session.cleanup('r')
    expect(known.calls.cleaned).toEqual([])
    const unknown = session(async () => {
      throw new Error('engine not reachable')
    })
    expect(await unknown.session.imageIdOf('x:1')).toBe('sha256:prepared-x:1')
    await unknown.session.cleanup('r')
    expect(unknown.calls.cleaned).toEqual(['r'])
  })
})

describe('ExecutorSession with host jobs', () => {
  it('gives a host job the host executor without creating Docker, and leaves host jobs out of the images Docker prepares', async () => {
    const made: string[] = []
    const prepared: string[][] = []
    const fake = (): Executor => ({
      prepare: async (images) => {
        prepared.push(images)
        return new Map()
      },
      runJob: async () => ({status: 'succeeded', steps: [], artifacts: [], cleanup: 'none'}),
      cleanup: async () => undefined,
      findLeaks: async () => [],
    })
    const onHost = job('mac', {image: '', runsOn: 'host'})
    const p = pipeline([onHost, job('box', {image: 'x:1'})])
    const docker = fake()
    const host = fake()
    const s = new ExecutorSession(
      async () => (made.push('docker'), docker),
      planRun(p, []),
      new RunEmitter('r', [], []),
      new AbortController().signal,
      undefined,
      async () => (made.push('host'), host),
    )
    const box = p.jobs.get('box')!
    expect(await s.get(onHost)).toBe(host)
    expect(await s.get(onHost)).toBe(host)
    expect(made).toEqual(['host'])
    expect(s.created).toBe(true)
    // Nothing starts ahead of a container job before Docker is prepared.
    expect(s.readyFor(onHost)).toBe(host)
    expect(s.readyFor(box)).toBeUndefined()
    expect(await s.get(box)).toBe(docker)
    expect(made).toEqual(['host', 'docker'])
    expect(prepared).toEqual([['x:1']])
    expect(s.readyFor(box)).toBe(docker)
    expect(s.readyFor(onHost)).toBe(host)
  })

  it('fails a host job as an infrastructure error when the run was given no host executor', async () => {
    const s = new ExecutorSession(async () => Promise.reject(new Error('no docker')), planRun(pipeline([job('mac', {image: '', runsOn: 'host'})]), []), new RunEmitter('r', [], []), new AbortController().signal)
    await expect(s.get(job('mac', {image: '', runsOn: 'host'}))).rejects.toThrow('cannot run runs-on: host jobs')
  })
})
