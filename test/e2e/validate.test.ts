import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

import {describe, expect, test} from 'vitest'

// Runs the built CLI (dist/ and oclif.manifest.json from `tsc -p tsconfig.build.json && oclif manifest`).
const repo = fileURLToPath(new URL('../../', import.meta.url))

function orca(...args: string[]): {status: number | null; stdout: string; stderr: string} {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ORCA_')))
  const result = spawnSync(process.execPath, ['bin/run.cjs', ...args], {cwd: repo, env, encoding: 'utf8'})
  return {status: result.status, stdout: result.stdout, stderr: result.stderr}
}

describe('orca validate', () => {
  test('a valid pipeline: one summary line, exit 0', () => {
    const result = orca('validate', '-f', 'test/fixtures/pipelines/valid.yml')
    expect(result.stdout).toBe('test/fixtures/pipelines/valid.yml: 3 jobs, 3 edges, valid\n')
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
  })

  test('a 20-job pipeline', () => {
    const result = orca('validate', '--file', 'test/fixtures/pipelines/twenty-jobs.yml')
    expect(result.stdout).toBe('test/fixtures/pipelines/twenty-jobs.yml: 20 jobs, 19 edges, valid\n')
    expect(result.status).toBe(0)
  })

  test('every problem on its own line on stderr, exit 2, no stack trace', () => {
    const result = orca('validate', '-f', 'test/fixtures/pipelines/invalid.yml')
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      'test/fixtures/pipelines/invalid.yml:5:14 jobs.build.timeout: expected a duration like "10m", got "ten"',
      'test/fixtures/pipelines/invalid.yml:7:3 jobs.test: no image: set "image" on the job, a top-level "image", or defaults.image in the configuration',
      'test/fixtures/pipelines/invalid.yml:8:13 jobs.test.needs[0]: unknown job "biuld"; did you mean "build"?',
      'test/fixtures/pipelines/invalid.yml:10:17 jobs.test.artifacts[0]: artifact glob "../outside/**" climbs out of the workdir',
    ])
    expect(result.stdout).toBe('')
    expect(result.status).toBe(2)
  })

  test('image references Docker would refuse, each at its position (a typo, a crafted name, uppercase, a space)', () => {
    const result = orca('validate', '-f', 'test/fixtures/pipelines/bad-images.yml')
    const file = 'test/fixtures/pipelines/bad-images.yml'
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `${file}:5:12 jobs.typo.image: invalid image reference "foo//bar": it has an empty path component (a leading, trailing or doubled "/"); expected e.g. "node:20", "ghcr.io/org/tool:1.2" or "busybox@sha256:<64 hex digits>"`,
      `${file}:8:12 jobs.crafted.image: invalid image reference "x/../..//127.0.0.1:2375/y": it has an empty path component (a leading, trailing or doubled "/"); expected e.g. "node:20", "ghcr.io/org/tool:1.2" or "busybox@sha256:<64 hex digits>"`,
      `${file}:11:12 jobs.upper.image: invalid image reference "Node:20": it has uppercase letters in its repository path (only a registry host may have them); expected e.g. "node:20", "ghcr.io/org/tool:1.2" or "busybox@sha256:<64 hex digits>"`,
      `${file}:14:12 jobs.spaced.image: invalid image reference "node:20 --privileged": it contains a space; expected e.g. "node:20", "ghcr.io/org/tool:1.2" or "busybox@sha256:<64 hex digits>"`,
    ])
    expect(result.stdout).toBe('')
    expect(result.status).toBe(2)
  })

  test('names that are also Object.prototype\'s properties: valid where the name grammar allows them, refused where it does not', () => {
    const file = 'test/fixtures/pipelines/prototype-names.yml'
    const result = orca('validate', '-f', file)
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `${file}:7:34 jobs.constructor.volumes.__proto__: expected a volume name of letters, digits, "_", "." and "-", got "__proto__"`,
      `${file}:9:3 jobs.__proto__: expected a name of lowercase letters, digits, "-" and "_" starting with a letter or digit, got "__proto__"`,
      `${file}:11:3 jobs.toString: expected a name of lowercase letters, digits, "-" and "_" starting with a letter or digit, got "toString"`,
      `${file}:12:26 jobs.toString.needs[1]: unknown job "hasownproperty"`,
    ])
    expect(result.status).toBe(2)
  })

  test('what would fail only at run time: NUL bytes, unmountable volumes, globs that can match no storable file', () => {
    const file = 'test/fixtures/pipelines/unstorable.yml'
    const result = orca('validate', '-f', file)
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `${file}:3:17 env.GREETING: contains a NUL byte ("\\0"), which no command, variable or path can hold`,
      `${file}:6:14 jobs.build.workdir: contains a NUL byte ("\\0"), which no command, variable or path can hold`,
      `${file}:7:22 jobs.build.volumes.cache: contains a NUL byte ("\\0"), which no command, variable or path can hold`,
      `${file}:7:40 jobs.build.volumes.root: volume "root" cannot be mounted at "/", the container's root`,
      `${file}:7:70 jobs.build.volumes.npm-too: volumes "npm" and "npm-too" are both mounted at "/root/.npm"`,
      `${file}:8:14 jobs.build.inputs[0]: contains a NUL byte ("\\0"), which no command, variable or path can hold`,
      `${file}:8:26 jobs.build.inputs[1]: input glob "src//lib/**" has an empty path segment ("//"), so it matches no file`,
      `${file}:8:75 jobs.build.inputs[4]: input glob "dist/" ends with "/", so it matches no file; for every file under it write "dist/**"`,
      `${file}:8:84 jobs.build.inputs[5]: input glob "src/../lib/**" has a "." or ".." segment inside, so it matches no file; write the path without it`,
      `${file}:10:9 jobs.build.steps[0]: contains a NUL byte ("\\0"), which no command, variable or path can hold`,
      `${file}:11:50 jobs.build.steps[1].env.MODE: contains a NUL byte ("\\0"), which no command, variable or path can hold`,
      `${file}:12:17 jobs.build.artifacts[0]: artifact glob "out/" ends with "/", so it matches no file; for every file under it write "out/**"`,
      `${file}:12:25 jobs.build.artifacts[1]: artifact glob "out//x" has an empty path segment ("//"), so it matches no file`,
      `${file}:12:47 jobs.build.artifacts[3]: artifact glob "out/./report.txt" has a "." or ".." segment inside, so it matches no file; write the path without it`,
    ])
    expect(result.stdout).toBe('')
    expect(result.status).toBe(2)
  })

  test('a cycle', () => {
    const result = orca('validate', '-f', 'test/fixtures/pipelines/cycle.yml')
    expect(result.stderr).toBe('test/fixtures/pipelines/cycle.yml:5:5 jobs.a.needs: dependency cycle: a -> b -> a\n')
    expect(result.status).toBe(2)
  })

  test('malformed YAML', () => {
    const result = orca('validate', '-f', 'test/fixtures/pipelines/malformed.yml')
    expect(result.stderr).toMatch(/^test\/fixtures\/pipelines\/malformed\.yml:\d+:\d+: invalid YAML: /)
    expect(result.stderr).not.toContain('    at ')
    expect(result.status).toBe(2)
  })

  test('a missing file suggests orca init and -f', () => {
    const result = orca('validate', '-f', 'test/fixtures/pipelines/nope.yml')
    expect(result.stderr).toBe('test/fixtures/pipelines/nope.yml: no such file\nhint: create one with "orca init", or point at another file with -f/--file\n')
    expect(result.status).toBe(2)
  })

  test('a bad ORCA_* variable is a configuration error', () => {
    const result = spawnSync(process.execPath, ['bin/run.cjs', 'validate', '-f', 'test/fixtures/pipelines/valid.yml'], {
      cwd: repo,
      env: {...process.env, ORCA_CONCURRENCY: 'abc'},
      encoding: 'utf8',
    })
    expect(result.stderr).toBe('environment ORCA_CONCURRENCY: expected a whole number from 1 up, got "abc"\n')
    expect(result.status).toBe(2)
  })
})
