import {describe, expect, it} from 'vitest'

import type {Executor} from '../../../src/engine/executor/types.js'
import {ExecutorSession} from '../../../src/engine/run/executor-session.js'
import {job} from '../../helpers/pipeline.js'

function fake(): Executor {
  return {
    prepare: async () => new Map(),
    runJob: async () => ({status: 'succeeded', steps: [], artifacts: [], cleanup: 'none'}),
    cleanup: async () => undefined,
    findLeaks: async () => [],
  }
}

describe('ExecutorSession with host jobs', () => {
  it('gives a host job the host executor without creating Docker, and a container job Docker, each created once', async () => {
    const made: string[] = []
    const docker = fake()
    const host = fake()
    const onHost = job('mac', {image: '', runsOn: 'host'})
    const s = new ExecutorSession(
      async () => (made.push('docker'), docker),
      async () => (made.push('host'), host),
    )
    const box = job('box', {image: 'x:1'})
    expect(await s.get(onHost)).toBe(host)
    expect(await s.get(onHost)).toBe(host)
    expect(made).toEqual(['host'])
    expect(s.created).toBe(true)
    // Nothing starts ahead of a container job before Docker exists.
    expect(s.readyFor(onHost)).toBe(host)
    expect(s.readyFor(box)).toBeUndefined()
    expect(await s.get(box)).toBe(docker)
    expect(await s.get()).toBe(docker)
    expect(made).toEqual(['host', 'docker'])
    expect(s.readyFor(box)).toBe(docker)
    expect(s.readyFor(onHost)).toBe(host)
  })

  it('fails a host job as an infrastructure error when the run was given no host executor', async () => {
    const s = new ExecutorSession(async () => Promise.reject(new Error('no docker')))
    await expect(s.get(job('mac', {image: '', runsOn: 'host'}))).rejects.toThrow('cannot run runs-on: host jobs')
  })
})
