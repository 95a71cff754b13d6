import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'

import {afterEach, describe, expect, test} from 'vitest'

import {ConfigError, formatDiagnostic} from '../../../src/engine/errors.js'
import type {IncludeReader} from '../../../src/engine/pipeline/include.js'
import {loadPipeline} from '../../../src/engine/pipeline/load.js'
import {parsePipeline} from '../../../src/engine/pipeline/parse.js'
import type {Pipeline, PipelineDefaults} from '../../../src/engine/pipeline/types.js'
import {EXPANSION_LIMITS} from '../../../src/engine/pipeline/yaml-expansion.js'

const defaults: PipelineDefaults = {timeoutMs: 30 * 60_000, cleanup: 'always_remove'}
const lines = (...rows: string[]): string => `${rows.join('\n')}\n`

/** The project /p with these files (paths relative to it), read from memory. */
function reader(files: Record<string, string>): IncludeReader {
  return (absFile) => {
    const text = files[path.relative('/p', absFile)]
    return text === undefined ? {problem: 'no such file'} : {text, realPath: absFile}
  }
}

function parse(main: string, files: Record<string, string>): Pipeline {
  return parsePipeline(main, 'jobs.yml', '/p/jobs.yml', defaults, reader(files))
}

function problems(main: string, files: Record<string, string>): string[] {
  try {
    parse(main, files)
  } catch (error) {
    if (error instanceof ConfigError) return error.diagnostics.map(formatDiagnostic)
    throw error
  }
  throw new Error('expected the pipeline to be rejected')
}

describe('include', () => {
  test('joins the jobs of included files after the main file\'s, paths relative to the including file; a file included twice joins once', () => {
    const pipeline = parse(lines('version: 1', 'image: busybox:1.36', 'include: [ci/a.yml, ci/b.yml]', 'jobs:', '  main: {steps: [x]}'), {
      'ci/a.yml': lines('include: [b.yml, nested/c.yml]', 'jobs:', '  a: {needs: [main], steps: [x]}'),
      'ci/b.yml': lines('jobs:', '  b: {steps: [x]}'),
      'ci/nested/c.yml': lines('version: 1', 'jobs:', '  c: {extends: a}'),
    })
    expect([...pipeline.jobs.keys()]).toEqual(['main', 'a', 'b', 'c'])
    expect(pipeline.jobs.get('c')!.needs).toEqual(['main'])
    expect(pipeline.includes?.map((i) => i.file)).toEqual(['/p/ci/a.yml', '/p/ci/b.yml', '/p/ci/nested/c.yml'])
    expect(pipeline.jobs.get('b')!.position).toEqual({file: 'ci/b.yml', line: 2, column: 3})
  })

  test('errors point into the included file, and a job defined twice names both places', () => {
    expect(
      problems(lines('version: 1', 'image: busybox:1.36', 'include: [ci/a.yml]', 'jobs:', '  build: {steps: [x]}'), {
        'ci/a.yml': lines('x-t: {timeout: later}', 'jobs:', '  build: {steps: [y]}', '  test:', '    extends: x-t', '    needs: [biuld]', '    steps: [x]'),
      }),
    ).toEqual([
      'ci/a.yml:1:16 jobs.test.timeout: expected a duration like "10m", got "later"',
      'ci/a.yml:3:3 jobs.build: job "build" is defined twice (first at jobs.yml:5:3)',
      'ci/a.yml:6:13 jobs.test.needs[0]: unknown job "biuld"; did you mean "build"?',
    ])
  })

  test('refuses absolute paths, paths out of the project, missing files, cycles and pipeline settings in an included file', () => {
    expect(
      problems(lines('version: 1', 'image: busybox:1.36', 'include: [/etc/x.yml, ../x.yml, ci/missing.yml, ci/loop.yml]', 'jobs:', '  a: {steps: [x]}'), {
        'ci/loop.yml': lines('include: [../jobs.yml, again.yml]', 'image: other:1'),
        'ci/again.yml': lines('include: [loop.yml]'),
        'jobs.yml': '',
      }),
    ).toEqual([
      'jobs.yml:3:11 include[0]: "/etc/x.yml" is absolute; include paths are relative to the including file',
      'jobs.yml:3:23 include[1]: "../x.yml" is outside the project; include only files of the project (the folder of the main jobs file)',
      'jobs.yml:3:33 include[2]: cannot include "ci/missing.yml": no such file',
      'ci/loop.yml:1:11 include[0]: include cycle: jobs.yml -> ci/loop.yml -> jobs.yml',
      'ci/loop.yml:2:1 image: "image" is not allowed in an included file: it holds jobs, include and x- keys (image, env and services belong to jobs.yml)',
      'ci/again.yml:1:11 include[0]: include cycle: ci/loop.yml -> ci/again.yml -> ci/loop.yml',
    ])
  })

  test('an included file is checked for what the schema checks of the main file: its include list and version', () => {
    expect(problems(lines('version: 1', 'image: busybox:1.36', 'include: [a.yml]', 'jobs:', '  a: {steps: [x]}'), {'a.yml': lines('version: 2', 'include: b.yml')})).toEqual([
      'a.yml:1:10 version: unsupported version 2; this orca reads version 1',
      'a.yml:2:10 include: expected a list of paths of YAML files',
    ])
  })

  test('the YAML expansion limit counts every file of the pipeline together', () => {
    // Each file alone is within the limit (1,000 values named 110 times: 110,000 and more); together they are not.
    const big = `x-a: &a [${Array.from({length: 1000}, (_, i) => i).join(', ')}]\nx-b: [${Array.from({length: 110}, () => '*a').join(', ')}]\n`
    expect(EXPANSION_LIMITS.values).toBeGreaterThan(112_000)
    expect(EXPANSION_LIMITS.values).toBeLessThan(220_000)
    expect(() => parse(lines('version: 1', 'image: busybox:1.36', 'include: [a.yml]', 'jobs:', '  a: {steps: [x]}'), {'a.yml': big})).not.toThrow()
    const found = problems(lines('version: 1', 'image: busybox:1.36', 'include: [a.yml, b.yml]', 'jobs:', '  a: {steps: [x]}'), {'a.yml': big, 'b.yml': big})
    expect(found).toEqual([expect.stringMatching(/^b\.yml:2:\d+: the pipeline's files together hold more than 200,000 values or 16 MiB of text \(aliases expanded\), the most orca reads$/)])
  })
})

describe('include on disk', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
  })
  const project = (files: Record<string, string>): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'orca-include-'))
    dirs.push(dir)
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), {recursive: true})
      writeFileSync(path.join(dir, name), text)
    }
    return dir
  }

  test('a symbolic link out of the project is refused; one inside it is followed', async () => {
    const outside = project({'evil.yml': lines('jobs:', '  evil: {steps: [x]}')})
    const dir = project({'jobs.yml': lines('version: 1', 'image: busybox:1.36', 'include: [in.yml, out.yml]', 'jobs:', '  a: {steps: [x]}'), 'real/in.yml': lines('jobs:', '  b: {steps: [x]}')})
    symlinkSync(path.join(dir, 'real/in.yml'), path.join(dir, 'in.yml'))
    symlinkSync(path.join(outside, 'evil.yml'), path.join(dir, 'out.yml'))
    const error = (await loadPipeline('jobs.yml', {cwd: dir, defaults}).catch((e: unknown) => e)) as ConfigError
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.diagnostics.map(formatDiagnostic)).toEqual(['jobs.yml:3:19 include[1]: cannot include "out.yml": it leads out of the project through a symbolic link'])
  })

  test('the parse cache is stale when an included file changes, though jobs.yml did not', async () => {
    const dir = project({'jobs.yml': lines('version: 1', 'image: busybox:1.36', 'include: [ci/a.yml]', 'jobs:', '  a: {steps: [x]}'), 'ci/a.yml': lines('jobs:', '  b: {steps: [first]}')})
    const options = {cwd: dir, defaults, parseCacheDir: path.join(dir, '.orca/parsed')}
    expect((await loadPipeline('jobs.yml', options)).jobs.get('b')!.steps[0]!.run).toBe('first')
    expect((await loadPipeline('jobs.yml', options)).jobs.get('b')!.steps[0]!.run).toBe('first')
    writeFileSync(path.join(dir, 'ci/a.yml'), lines('jobs:', '  b: {steps: [second]}'))
    expect((await loadPipeline('jobs.yml', options)).jobs.get('b')!.steps[0]!.run).toBe('second')
  })
})
