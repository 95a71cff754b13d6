import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'

import {afterEach, describe, expect, test} from 'vitest'

import {ConfigError, formatDiagnostic} from '../../../src/engine/errors.js'
import {loadPipeline} from '../../../src/engine/pipeline/load.js'
import {parsePipeline} from '../../../src/engine/pipeline/parse.js'
import type {PipelineDefaults} from '../../../src/engine/pipeline/types.js'

const defaults: PipelineDefaults = {timeoutMs: 30 * 60_000, cleanup: 'always_remove'}

/** Every diagnostic line a user would see for this jobs.yml. */
function problems(text: string, withDefaults: PipelineDefaults = defaults): string[] {
  try {
    parsePipeline(text, 'jobs.yml', '/project/jobs.yml', withDefaults)
  } catch (error) {
    if (error instanceof ConfigError) return error.diagnostics.map(formatDiagnostic)
    throw error
  }
  throw new Error('expected the pipeline to be rejected')
}

const lines = (...rows: string[]): string => `${rows.join('\n')}\n`

describe('parsePipeline reports', () => {
  test('malformed YAML with its position', () => {
    expect(problems(lines('version: 1', 'jobs:', '  build:', '    steps: [echo hi', '  test: {}'))).toEqual([
      expect.stringMatching(/^jobs\.yml:5:\d+: invalid YAML: /),
    ])
    const [first] = problems(lines('version: 1', 'jobs: : x'))
    expect(first).toMatch(/^jobs\.yml:2:\d+: invalid YAML: /)
  })

  test('an unknown key at the key itself, naming it and the likely intent', () => {
    expect(problems(lines('version: 1', 'image: busybox', 'jobs:', '  build:', '    steps: [make]', '    timout: 5m'))).toEqual([
      'jobs.yml:6:5 jobs.build.timout: unknown key "timout"; did you mean "timeout"?',
    ])
    expect(problems(lines('version: 1', 'jobs:', '  a: {image: x, steps: [y]}', 'colour: red'))).toEqual([
      'jobs.yml:4:1 colour: unknown key "colour"; allowed: version, include, image, pull, platform, env, services, jobs, or a key starting with x-',
    ])
  })

  test('a bad duration at the value', () => {
    expect(problems(lines('version: 1', 'image: busybox', 'jobs:', '  build:', '    timeout: ten', '    steps: [make]'))).toEqual([
      'jobs.yml:5:14 jobs.build.timeout: expected a duration like "10m", got "ten"',
    ])
  })

  test('a bad duration inside a step object, without the noise of the other step form', () => {
    expect(problems(lines('version: 1', 'image: busybox', 'jobs:', '  build:', '    steps:', '      - run: make', '        timeout: 5 minutes'))).toEqual([
      'jobs.yml:7:18 jobs.build.steps[0].timeout: expected a duration like "10m", got "5 minutes"',
    ])
  })

  test('a step that is neither a string nor a mapping', () => {
    expect(problems(lines('version: 1', 'image: busybox', 'jobs:', '  build:', '    steps: [make, 42]'))).toEqual([
      'jobs.yml:5:19 jobs.build.steps[1]: expected a string or a mapping, got 42 (quote it to mean the text: "42")',
    ])
  })

  test('a step object without run', () => {
    expect(problems(lines('version: 1', 'image: busybox', 'jobs:', '  build:', '    steps:', '      - name: compile'))).toEqual([
      'jobs.yml:6:9 jobs.build.steps[0]: missing required key "run"',
    ])
  })

  test('a bad enum, listing the allowed values', () => {
    expect(problems(lines('version: 1', 'image: busybox', 'jobs:', '  build:', '    cleanup: sometimes', '    network: host', '    steps: [make]'))).toEqual([
      'jobs.yml:5:14 jobs.build.cleanup: expected one of always_remove, remove_on_completion, keep_on_completion, remove_on_timeout, never_remove; got "sometimes"',
      'jobs.yml:6:14 jobs.build.network: expected one of bridge, none; got "host"',
    ])
  })

  test('an unsupported version and missing jobs', () => {
    expect(problems(lines('version: 2'))).toEqual([
      'jobs.yml:1:1: missing required key "jobs"',
      'jobs.yml:1:10 version: unsupported version 2; this orca reads version 1',
    ])
  })

  test('unknown needs at the item, suggesting the nearest job', () => {
    expect(problems(lines('version: 1', 'image: busybox', 'jobs:', '  build:', '    steps: [make]', '  test:', '    needs: [biuld, lint]', '    steps: [make test]'))).toEqual([
      'jobs.yml:7:13 jobs.test.needs[0]: unknown job "biuld"; did you mean "build"?',
      'jobs.yml:7:20 jobs.test.needs[1]: unknown job "lint"',
    ])
  })

  test('a cycle as a path of job names', () => {
    expect(problems(lines('version: 1', 'image: busybox', 'jobs:', '  a:', '    needs: [b]', '  b:', '    needs: [c]', '  c:', '    needs: [a]', '  d:', '    needs: [d]'))).toEqual([
      'jobs.yml:5:5 jobs.a.needs: dependency cycle: a -> b -> c -> a',
      'jobs.yml:11:5 jobs.d.needs: dependency cycle: d -> d',
    ])
  })

  test('a duplicate job at the second definition', () => {
    expect(problems(lines('version: 1', 'image: busybox', 'jobs:', '  build:', '    steps: [make]', '  build:', '    steps: [make again]'))).toEqual([
      'jobs.yml:6:3 jobs.build: duplicate job "build" (first defined on line 4)',
    ])
  })

  test('a job with steps but no image anywhere; a group job needs none', () => {
    const text = lines('version: 1', 'jobs:', '  build:', '    steps: [make]', '  all:', '    needs: [build]')
    expect(problems(text)).toEqual(['jobs.yml:3:3 jobs.build: no image: set "image" on the job, a top-level "image", or defaults.image in the configuration'])
    expect(parsePipeline(text, 'jobs.yml', '/p/jobs.yml', {...defaults, image: 'busybox:1.36'}).jobs.get('build')?.image).toBe('busybox:1.36')
  })

  test('input and artifact globs that escape', () => {
    expect(problems(lines('version: 1', 'image: busybox', 'jobs:', '  build:', '    inputs: ["src/**", "../secrets/*", "/etc/passwd"]', '    steps: [make]', '    artifacts: [dist/**, "a/../../x", "!../y"]'))).toEqual([
      'jobs.yml:5:24 jobs.build.inputs[1]: input glob "../secrets/*" climbs out of the project directory',
      'jobs.yml:5:40 jobs.build.inputs[2]: input glob "/etc/passwd" is absolute; it must be relative to the project directory',
      'jobs.yml:7:26 jobs.build.artifacts[1]: artifact glob "a/../../x" climbs out of the workdir',
      'jobs.yml:7:39 jobs.build.artifacts[2]: artifact glob "!../y" climbs out of the workdir',
    ])
  })

  test('globs that can match no file the artifact store keeps: empty, "." and ".." segments, a trailing "/"', () => {
    const refused = ['src//x', 'dist/', 'a/./b', 'a/../b', 'src/**/', '!tmp/']
    const accepted = ['./src/**', '././src/*.ts', 'pages/\\[id\\].tsx', '!**/*.map', '**', 'a.b/c..d/e']
    const text = lines('version: 1', 'image: busybox', 'jobs:', '  build:', `    inputs: ${JSON.stringify([...refused, ...accepted])}`, `    artifacts: ${JSON.stringify([...refused, ...accepted])}`, '    steps: [make]')
    const found = problems(text)
    expect(found.filter((p) => p.includes('.inputs['))).toHaveLength(refused.length)
    expect(found.filter((p) => p.includes('.artifacts['))).toHaveLength(refused.length)
    expect(found).toContain('jobs.yml:5:23 jobs.build.inputs[1]: input glob "dist/" ends with "/", so it matches no file; for every file under it write "dist/**"')
    expect(found).toContain('jobs.yml:6:61 jobs.build.artifacts[5]: artifact glob "!tmp/" ends with "/", so it matches no file; for every file under it write "!tmp/**"')
    expect(found).toContain('jobs.yml:6:51 jobs.build.artifacts[4]: artifact glob "src/**/" ends with "/", so it matches no file; for every file under it write "src/**"')
    expect(found).toContain('jobs.yml:5:14 jobs.build.inputs[0]: input glob "src//x" has an empty path segment ("//"), so it matches no file')
    expect(found).toContain('jobs.yml:6:42 jobs.build.artifacts[3]: artifact glob "a/../b" has a "." or ".." segment inside, so it matches no file; write the path without it')
  })

  test('NUL bytes in any value, reported once where the schema already refuses the value', () => {
    const text = lines('version: 1', 'image: busybox', 'jobs:', '  build:', '    timeout: "1\\0m"', '    user: "r\\0"', '    steps: ["a\\0b", {run: x, name: "n\\0"}]')
    expect(problems(text)).toEqual([
      'jobs.yml:5:14 jobs.build.timeout: expected a duration like "10m", got "1\\u0000m"',
      'jobs.yml:6:11 jobs.build.user: contains a NUL byte ("\\0"), which no command, variable or path can hold',
      'jobs.yml:7:13 jobs.build.steps[0]: contains a NUL byte ("\\0"), which no command, variable or path can hold',
      'jobs.yml:7:36 jobs.build.steps[1].name: contains a NUL byte ("\\0"), which no command, variable or path can hold',
    ])
  })

  test('a keyed volume: its path and key, apart from the mount table; a bad one where it is', () => {
    const parsed = parsePipeline(
      lines('version: 1', 'image: busybox', 'jobs:', '  build:', '    volumes:', '      plain: /cache', '      npm: {path: /root/.npm, key: {files: [package-lock.json]}}', '    steps: [make]'),
      'jobs.yml',
      '/project/jobs.yml',
      defaults,
    )
    const build = parsed.jobs.get('build')!
    expect({...build.volumes}).toEqual({plain: '/cache', npm: '/root/.npm'})
    expect(JSON.parse(JSON.stringify(build.volumeKeys))).toEqual({npm: {files: ['package-lock.json']}})
    expect(problems(lines('version: 1', 'image: busybox', 'jobs:', '  build:', '    volumes: {npm: {path: /a, key: {files: []}}, b: {path: /a}}', '    steps: [make]'))).toEqual([
      'jobs.yml:5:44 jobs.build.volumes.npm.key.files: must NOT have fewer than 1 items',
      'jobs.yml:5:53 jobs.build.volumes.b: volumes "npm" and "b" are both mounted at "/a"',
    ])
  })

  test('volumes Docker cannot mount: at "/" or two at one path', () => {
    expect(problems(lines('version: 1', 'image: busybox', 'jobs:', '  build:', '    volumes: {a: /, b: /data, c: /data/, d: /x/../data}', '    steps: [make]'))).toEqual([
      'jobs.yml:5:18 jobs.build.volumes.a: volume "a" cannot be mounted at "/", the container\'s root',
      'jobs.yml:5:34 jobs.build.volumes.c: volumes "b" and "c" are both mounted at "/data"',
      'jobs.yml:5:45 jobs.build.volumes.d: volumes "b" and "d" are both mounted at "/data"',
    ])
  })

  test('an invalid job name at the key', () => {
    expect(problems(lines('version: 1', 'image: busybox', 'jobs:', '  Build_Web:', '    steps: [make]'))).toEqual([
      'jobs.yml:4:3 jobs.Build_Web: expected a name of lowercase letters, digits, "-" and "_" starting with a letter or digit, got "Build_Web"',
    ])
  })

  test('an alias bomb without expanding it', () => {
    const rows = ['version: 1', 'a: &a ["x","x","x","x","x","x","x","x","x"]']
    for (const [name, previous] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e'], ['g', 'f']]) {
      rows.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`)
    }
    expect(problems(lines(...rows, 'jobs: {}'))).toEqual([
      expect.stringMatching(/^jobs\.yml:7:\d+: the document expands to more than 200,000 values through YAML aliases \(e\.g\. \*e\); is this an alias bomb\?$/),
    ])
  })

  test('nesting too deep to read, without a stack trace', () => {
    const deep = `version: 1\njobs: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`
    const found = problems(deep)
    expect(found).toHaveLength(1)
    expect(found[0]).toMatch(/^jobs\.yml(:2:\d+)?: the document is nested too deeply to read$/)
  })

  test('an oversized file by its size', () => {
    expect(problems(`version: 1\n#${'x'.repeat(1024 * 1024)}\n`)).toEqual(['jobs.yml: file is 1.0 MiB; the limit is 1.0 MiB'])
  })

  test('every problem at once, in file order', () => {
    expect(problems(lines('version: 1', 'jobs:', '  build:', '    image: node:20', '    timeout: soon', '    steps: [make]', '  test:', '    needs: [bild]', '    steps: [make test]', '    nope: 1'))).toEqual([
      'jobs.yml:5:14 jobs.build.timeout: expected a duration like "10m", got "soon"',
      'jobs.yml:7:3 jobs.test: no image: set "image" on the job, a top-level "image", or defaults.image in the configuration',
      'jobs.yml:8:13 jobs.test.needs[0]: unknown job "bild"; did you mean "build"?',
      'jobs.yml:10:5 jobs.test.nope: unknown key "nope"; allowed: extends, name, image, pull, platform, needs, when, if, inputs, env, env_file, pass_env, services, secrets, workdir, user, git, docker, retry, timeout, cleanup, keep_for, cache, resources, network, volumes, steps, artifacts, matrix, id, max-parallel, reports, outputs, shell, runs-on, host',
    ])
  })

  test('an empty file', () => {
    expect(problems('')).toEqual(['jobs.yml:1:1: the file is empty; expected "version: 1" and "jobs:"'])
  })
})

describe('loadPipeline', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir) rmSync(dir, {recursive: true, force: true})
    dir = undefined
  })

  test('names a missing file as given and suggests orca init or -f', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'orca-load-'))
    const error = await loadPipeline('ci/jobs.yml', {cwd: dir, defaults}).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toBe('ci/jobs.yml: no such file')
    expect((error as ConfigError).hint).toContain('orca init')
    expect((error as ConfigError).hint).toContain('-f')
  })

  test('shows paths relative to cwd and records absolute ones in the pipeline', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'orca-load-'))
    writeFileSync(path.join(dir, 'jobs.yml'), lines('version: 1', 'image: busybox', 'jobs:', '  a:', '    steps: [make]', '    timeout: x'))
    const error = (await loadPipeline(path.join(dir, 'jobs.yml'), {cwd: dir, defaults}).catch((caught: unknown) => caught)) as ConfigError
    expect(error.message).toBe('jobs.yml:6:14 jobs.a.timeout: expected a duration like "10m", got "x"')
    writeFileSync(path.join(dir, 'jobs.yml'), lines('version: 1', 'image: busybox', 'jobs:', '  a:', '    steps: [make]'))
    const pipeline = await loadPipeline('jobs.yml', {cwd: dir, defaults})
    expect(pipeline.file).toBe(path.join(dir, 'jobs.yml'))
    expect(pipeline.projectDir).toBe(dir)
  })

  test('refuses an oversized file before reading it', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'orca-load-'))
    writeFileSync(path.join(dir, 'big.yml'), Buffer.alloc(3 * 1024 * 1024, 0x20))
    await expect(loadPipeline('big.yml', {cwd: dir, defaults})).rejects.toThrow('big.yml: file is 3.0 MiB; the limit is 1.0 MiB')
  })
})
