import {describe, expect, test} from 'vitest'

import {parsePipeline} from '../../../src/engine/pipeline/parse.js'
import type {Pipeline, PipelineDefaults} from '../../../src/engine/pipeline/types.js'
import {lines, rejection} from '../../helpers/pipeline-text.js'

const defaults: PipelineDefaults = {timeoutMs: 30 * 60_000, cleanup: 'always_remove'}
const parse = (text: string): Pipeline => parsePipeline(text, 'jobs.yml', '/project/jobs.yml', defaults)

const problems = (text: string): string[] => rejection(() => parse(text))

describe('extends', () => {
  test('mappings merge at every depth; scalars and lists of the job replace the template\'s', () => {
    const pipeline = parse(
      lines(
        'version: 1',
        'x-base:',
        '  image: busybox:1.36',
        '  env: {A: "1", B: "2"}',
        '  resources: {cpus: 1, memory: 1g}',
        '  steps: [echo base, echo base-two]',
        '  inputs: [src/**]',
        'jobs:',
        '  build:',
        '    extends: x-base',
        '    env: {B: "3", C: "4"}',
        '    resources: {cpus: 2}',
        '    steps: [echo own]',
      ),
    )
    const build = pipeline.jobs.get('build')!
    expect(build.image).toBe('busybox:1.36')
    expect(build.env).toEqual({A: '1', B: '3', C: '4'})
    expect(build.resources).toEqual({cpus: 2, memoryBytes: 1024 ** 3})
    expect(build.steps.map((s) => s.run)).toEqual(['echo own'])
    expect(build.inputs).toEqual(['src/**'])
  })

  test('a list of templates is applied in order, then the job; chains through jobs and templates are followed', () => {
    const pipeline = parse(
      lines(
        'version: 1',
        'image: busybox:1.36',
        'x-one: {env: {WHO: one, ONE: "1"}, timeout: 1m}',
        'x-two: {extends: x-one, env: {WHO: two}, timeout: 2m}',
        'jobs:',
        '  base:',
        '    env: {WHO: base, BASE: "b"}',
        '    steps: [echo base]',
        '  child:',
        '    extends: [base, x-two]',
        '  grandchild:',
        '    extends: child',
        '    env: {WHO: me}',
      ),
    )
    expect(pipeline.jobs.get('child')!.env).toEqual({WHO: 'two', BASE: 'b', ONE: '1'})
    expect(pipeline.jobs.get('child')!.timeoutMs).toBe(120_000)
    expect(pipeline.jobs.get('grandchild')!.env).toEqual({WHO: 'me', BASE: 'b', ONE: '1'})
    expect(pipeline.jobs.get('grandchild')!.steps.map((s) => s.run)).toEqual(['echo base'])
    // A job others extend is still a job of its own, unchanged.
    expect(pipeline.jobs.get('base')!.env).toEqual({WHO: 'base', BASE: 'b'})
  })

  test('YAML anchors in x- keys are read as before: orca ignores top-level x- keys', () => {
    const pipeline = parse(lines('version: 1', 'x-steps: &steps [echo a, echo b]', 'x-image: &image busybox:1.36', 'jobs:', '  a: {image: *image, steps: *steps}'))
    expect(pipeline.jobs.get('a')!.steps.map((s) => s.run)).toEqual(['echo a', 'echo b'])
  })

  test('an unknown name and a cycle are reported where extends names them', () => {
    expect(
      problems(
        lines(
          'version: 1',
          'image: busybox:1.36',
          'x-loop: {extends: b}',
          'jobs:',
          '  a:',
          '    extends: [x-bsae]',
          '    steps: [x]',
          '  b:',
          '    extends: c',
          '    steps: [x]',
          '  c:',
          '    extends: x-loop',
          '    steps: [x]',
        ),
      ),
    ).toEqual([
      'jobs.yml:3:19 x-loop.extends: extends cycle: b -> c -> x-loop -> b',
      'jobs.yml:6:15 jobs.a.extends[0]: extends "x-bsae", which is neither a job nor a top-level x- key',
    ])
    expect(problems(lines('version: 1', 'image: busybox:1.36', 'jobs:', '  a:', '    extends: a', '    steps: [x]'))).toEqual([
      'jobs.yml:5:14 jobs.a.extends: extends cycle: a -> a',
    ])
  })

  test('the merged job is checked like any job, and an error in a value a template gave points at the template', () => {
    expect(
      problems(
        lines(
          'version: 1',
          'image: busybox:1.36',
          'x-slow:',
          '  timeout: soon',
          '  env: {OK: "1"}',
          'x-scalar: just text',
          'jobs:',
          '  a:',
          '    extends: x-slow',
          '    steps: [x]',
          '    cleanup: sometimes',
          '  b:',
          '    extends: x-scalar',
          '    steps: [x]',
          '  c:',
          '    extends: 5',
          '    steps: [x]',
        ),
      ),
    ).toEqual([
      'jobs.yml:4:12 jobs.a.timeout: expected a duration like "10m", got "soon"',
      'jobs.yml:11:14 jobs.a.cleanup: expected one of always_remove, remove_on_completion, keep_on_completion, remove_on_timeout, never_remove; got "sometimes"',
      'jobs.yml:13:14 jobs.b.extends: extends "x-scalar", which is not a mapping of job keys',
      'jobs.yml:16:14 jobs.c.extends: expected a string or a list, got 5 (quote it to mean the text: "5")',
    ])
  })

  test('a job without extends keeps the key it had: extends changes nothing of a pipeline that does not use it', () => {
    const plain = parse(lines('version: 1', 'image: busybox:1.36', 'jobs:', '  a:', '    env: {A: "1"}', '    steps: [x]'))
    const viaTemplate = parse(lines('version: 1', 'image: busybox:1.36', 'x-a: {env: {A: "1"}}', 'jobs:', '  a:', '    extends: x-a', '    steps: [x]'))
    const {position: _p1, ...a} = plain.jobs.get('a')!
    const {position: _p2, ...b} = viaTemplate.jobs.get('a')!
    expect(b).toEqual(a)
  })
})
