import {describe, expect, test} from 'vitest'

import type {ConfigError} from '../../../src/engine/errors.js';
import { formatDiagnostic} from '../../../src/engine/errors.js'
import {parsePipeline} from '../../../src/engine/pipeline/parse.js'
import {shellInvocation} from '../../../src/engine/pipeline/shell.js'

describe('shell', () => {
  test('sh and bash run the text with -c; a template names the script file where it says {0}', () => {
    expect(shellInvocation('sh', 'make', '/tmp/s')).toEqual({kind: 'text', program: 'sh', argv: ['sh', '-e', '-c', 'make']})
    expect(shellInvocation('bash', 'make', '/tmp/s')).toEqual({kind: 'text', program: 'bash', argv: ['bash', '--noprofile', '--norc', '-eo', 'pipefail', '-c', 'make']})
    expect(shellInvocation('  perl  -w {0} --flag={0}', 'print 1', '/tmp/s')).toEqual({kind: 'file', program: 'perl', argv: ['perl', '-w', '/tmp/s', '--flag=/tmp/s'], file: '/tmp/s'})
  })

  test("a step's shell wins over its job's; sh is left out of the step (its key is the one it had before)", () => {
    const pipeline = parsePipeline(
      'version: 1\nimage: busybox:1.36\njobs:\n  a:\n    shell: bash\n    steps: [one, {run: two, shell: sh}, {run: three, shell: "python3 {0}"}]\n  b:\n    steps: [four]\n',
      'jobs.yml',
      '/p/jobs.yml',
      {timeoutMs: 60_000, cleanup: 'always_remove'},
    )
    expect(pipeline.jobs.get('a')!.steps.map((s) => s.shell)).toEqual(['bash', undefined, 'python3 {0}'])
    expect(pipeline.jobs.get('b')!.steps[0]).not.toHaveProperty('shell')
  })

  test('anything else is refused at its place, with what is expected', () => {
    const error = (() => {
      try {
        parsePipeline('version: 1\nimage: busybox:1.36\njobs:\n  a:\n    shell: zsh\n    steps: [x]\n', 'jobs.yml', '/p/jobs.yml', {timeoutMs: 60_000, cleanup: 'always_remove'})
      } catch (e) {
        return e
      }
    })() as ConfigError
    expect(error.diagnostics.map(formatDiagnostic)).toEqual(['jobs.yml:5:12 jobs.a.shell: expected sh, bash or a command holding {0} (the path of the step\'s script), e.g. "python3 {0}"; got "zsh"'])
  })
})
