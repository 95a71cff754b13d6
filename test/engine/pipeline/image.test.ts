import {describe, expect, it} from 'vitest'

import {parsePipeline} from '../../../src/engine/pipeline/parse.js'
import type {PipelineDefaults} from '../../../src/engine/pipeline/types.js'
import {keyManifest, keyOf} from '../../../src/engine/cache/key.js'
import {diffManifests} from '../../../src/engine/cache/diff.js'
import {lines, rejection} from '../../helpers/pipeline-text.js'

const defaults: PipelineDefaults = {timeoutMs: 30 * 60_000, cleanup: 'always_remove'}
const parse = (text: string, withDefaults = defaults) => parsePipeline(text, 'jobs.yml', '/project/jobs.yml', withDefaults)

const problems = (text: string): string[] => rejection(() => parse(text))

describe('image: {build}, pull and platform in jobs.yml', () => {
  it('normalises a build with its defaults and names it build:<context> where a reference would be', () => {
    const pipeline = parse(
      lines(
        'version: 1',
        'image: {build: {context: ./docker/ci/}}',
        'jobs:',
        '  a: {steps: [x]}',
        '  b: {image: {build: {context: docker, dockerfile: test.Dockerfile, args: {NODE: 20}, target: test}}, steps: [x]}',
        '  c: {image: busybox:1.36, pull: always, platform: linux/arm64, steps: [x]}',
      ),
    )
    expect(pipeline.jobs.get('a')).toMatchObject({image: 'build:docker/ci', build: {context: 'docker/ci', dockerfile: 'Dockerfile', args: {}}})
    expect(pipeline.jobs.get('a')!.pull).toBeUndefined()
    expect(pipeline.jobs.get('b')).toMatchObject({image: 'build:docker:test.Dockerfile#test', build: {context: 'docker', dockerfile: 'test.Dockerfile', args: {NODE: '20'}, target: 'test'}})
    expect(pipeline.jobs.get('c')).toMatchObject({image: 'busybox:1.36', pull: 'always', platform: 'linux/arm64'})
    expect(pipeline.jobs.get('c')!.build).toBeUndefined()
  })

  it('takes the pull policy from the job, then the file, then the configuration', () => {
    const text = lines('version: 1', 'image: x:1', 'jobs:', '  a: {steps: [x]}', '  b: {pull: missing, steps: [x]}')
    expect(parse(text, {...defaults, pull: 'never'}).jobs.get('a')!.pull).toBe('never')
    expect(parse(text, {...defaults, pull: 'never'}).jobs.get('b')!.pull).toBeUndefined()
    expect(parse(text.replace('image: x:1', 'image: x:1\npull: always'), {...defaults, pull: 'never'}).jobs.get('a')!.pull).toBe('always')
  })

  it('refuses a context or Dockerfile outside the project, unknown pull policies, malformed platforms, at their positions', () => {
    expect(
      problems(
        lines(
          'version: 1',
          'jobs:',
          '  a: {image: {build: {context: ../other}}, steps: [x]}',
          '  b: {image: {build: {dockerfile: /etc/Dockerfile}}, steps: [x]}',
          '  c: {image: x:1, pull: sometimes, platform: amd64, steps: [x]}',
        ),
      ),
    ).toEqual([
      'jobs.yml:3:32 jobs.a.image.build.context: context "../other" climbs out of the project directory',
      'jobs.yml:4:35 jobs.b.image.build.dockerfile: dockerfile "/etc/Dockerfile" is absolute; it must be relative to the build context',
      expect.stringMatching(/^jobs\.yml:5:25 jobs\.c\.pull: .*missing.*always.*never/),
      expect.stringMatching(/^jobs\.yml:5:46 jobs\.c\.platform: /),
    ])
  })
})

describe('the key of a job with a built image or a platform', () => {
  it("covers the build's definition and each context file, and says which file changed", () => {
    const job = parse(lines('version: 1', 'jobs:', '  a: {image: {build: {context: ci}}, steps: [x]}')).jobs.get('a')!
    const file = (sha256: string) => [{mode: '100644', path: 'app.js', sha256}]
    const parts = {job, imageId: null, envOverrides: {}, inputs: [], needs: {}}
    const before = keyManifest({...parts, buildFiles: file('1'.repeat(64))})
    const after = keyManifest({...parts, buildFiles: file('2'.repeat(64))})
    expect(before.build).toEqual({context: 'ci', dockerfile: 'Dockerfile', args: {}, target: null, files: file('1'.repeat(64))})
    expect(keyOf(before)).not.toBe(keyOf(after))
    expect(diffManifests(before, after)).toEqual([{area: 'image', text: 'image build context changed: app.js', path: 'app.js'}])
  })

  it('covers the platform, and leaves keys of jobs without one or a build as they were', () => {
    const pipeline = parse(lines('version: 1', 'jobs:', '  a: {image: x:1, steps: [x]}', '  b: {image: x:1, platform: linux/arm64, steps: [x]}'))
    const manifest = (name: string) => keyManifest({job: pipeline.jobs.get(name)!, imageId: 'sha256:1', envOverrides: {}, inputs: [], needs: {}})
    expect('platform' in manifest('a') || 'build' in manifest('a')).toBe(false)
    expect(manifest('b').platform).toBe('linux/arm64')
    expect(diffManifests({...manifest('b'), job: 'a'}, manifest('a'))).toEqual([{area: 'image', text: 'platform "linux/arm64" → (none)'}])
  })
})
