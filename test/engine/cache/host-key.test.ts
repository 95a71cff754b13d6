import {describe, expect, it} from 'vitest'

import {diffManifests, summariseChanges} from '../../../src/engine/cache/diff.js'
import {hostWithoutKey, keyManifest, keyOf, uncachedReason, usesCache, type KeyParts} from '../../../src/engine/cache/key.js'
import type {HostKeyOutput} from '../../../src/engine/executor/host/key-commands.js'
import type {Job} from '../../../src/engine/pipeline/types.js'
import {job} from '../../helpers/pipeline.js'

const hostJob = (fields: Partial<Job> = {}): Job => job('build', {image: '', runsOn: 'host', hostKey: ['node --version', 'uname -sm'], steps: ['make'], ...fields})
const outputs = (node: string): HostKeyOutput[] => [
  {command: 'node --version', output: node},
  {command: 'uname -sm', output: 'Linux x86_64'},
]
const parts = (fields: Partial<KeyParts> = {}): KeyParts => ({job: hostJob(), imageId: null, envOverrides: {}, inputs: [], needs: {}, hostKey: outputs('v20.11.0'), ...fields})
const key = (p: KeyParts): string => keyOf(keyManifest(p))

describe('the key of a runs-on: host job', () => {
  it('covers what each key command printed: the same output gives the same key, another output another key', () => {
    expect(key(parts())).toBe(key(parts()))
    expect(key(parts({hostKey: outputs('v22.1.0')}))).not.toBe(key(parts()))
  })

  it('covers which commands identify the host, and that the job runs on the host at all', () => {
    const fewer = key(parts({job: hostJob({hostKey: ['node --version']}), hostKey: outputs('v20.11.0').slice(0, 1)}))
    expect(fewer).not.toBe(key(parts()))
    const inContainer = key({...parts(), job: job('build', {steps: ['make']}), imageId: 'sha256:aaa', hostKey: undefined})
    expect(inContainer).not.toBe(key(parts()))
  })

  it('has no image, and a container job has no host part (its key did not change when host jobs came)', () => {
    const manifest = keyManifest(parts({imageId: 'sha256:ignored'}))
    expect(manifest).toMatchObject({image: null, imageId: null, host: {key: outputs('v20.11.0')}})
    expect(keyManifest({...parts(), job: job('build'), imageId: 'sha256:aaa', hostKey: undefined})).not.toHaveProperty('host')
  })
})

describe('whether a job uses the cache', () => {
  it('a host job does only with key commands; without them it always runs, and says so', () => {
    expect(usesCache(hostJob())).toBe(true)
    for (const hostKey of [undefined, []]) {
      const bare = hostJob({hostKey})
      expect(hostWithoutKey(bare)).toBe(true)
      expect(usesCache(bare)).toBe(false)
      expect(uncachedReason(bare)).toBe('host job without key commands: always runs')
    }
  })

  it('cache: false still wins, and a container job needs no key commands', () => {
    expect(usesCache(hostJob({cache: false}))).toBe(false)
    expect(uncachedReason(hostJob({cache: false}))).toBe('cache: false')
    expect(usesCache(job('box'))).toBe(true)
    expect(hostWithoutKey(job('box'))).toBe(false)
  })
})

describe('explaining a host job whose key changed', () => {
  it('names the command whose output changed, with both outputs', () => {
    const changes = diffManifests(keyManifest(parts()), keyManifest(parts({hostKey: outputs('v22.1.0')})))
    expect(changes).toEqual([{area: 'host', command: 'node --version', text: '"node --version" printed "v22.1.0" (was "v20.11.0")'}])
    expect(summariseChanges(changes)).toBe('host key "node --version" changed')
  })

  it('tells a key command added or removed, and a job moved between docker and host', () => {
    const added = diffManifests(keyManifest(parts({job: hostJob({hostKey: ['node --version']}), hostKey: outputs('v20.11.0').slice(0, 1)})), keyManifest(parts()))
    expect(added.map((c) => c.text)).toEqual(['key command "uname -sm" added'])
    const moved = diffManifests(keyManifest({...parts(), job: job('build', {steps: ['make']}), imageId: 'sha256:aaa', hostKey: undefined}), keyManifest(parts()))
    expect(moved.map((c) => c.text)).toContain('runs-on: docker → host')
  })
})
