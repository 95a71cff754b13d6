import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {ConfigError, formatDiagnostic} from '../../../src/engine/errors.js'
import {bindHostEnvironment} from '../../../src/engine/plan/host-environment.js'
import {planRun} from '../../../src/engine/plan/plan.js'
import {jobEnv, resolveSecrets} from '../../../src/engine/run/secrets.js'
import {job, pipeline} from '../../helpers/pipeline.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'orca-host-env-'))
  dirs.push(dir)
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), {recursive: true})
    writeFileSync(path.join(dir, name), text)
  }
  return dir
}

describe('bindHostEnvironment', () => {
  it('drops an optional secret that is not set, keeps one that is, and still requires the others', () => {
    const p = pipeline([job('a', {secrets: ['OPTIONAL', 'REQUIRED'], optionalSecrets: ['OPTIONAL']})])
    const unset = bindHostEnvironment(planRun(p, []), '/project', {REQUIRED: 'r'})
    expect(unset.jobs.get('a')!.secrets).toEqual(['REQUIRED'])
    expect(resolveSecrets(unset, {REQUIRED: 'r'})).toEqual({REQUIRED: 'r'})
    const set = bindHostEnvironment(planRun(p, []), '/project', {REQUIRED: 'r', OPTIONAL: 'o'})
    expect(set.jobs.get('a')!.secrets).toEqual(['OPTIONAL', 'REQUIRED'])
    expect(() => resolveSecrets(bindHostEnvironment(planRun(p, []), '/project', {}), {})).toThrow("secret not set in orca's environment: REQUIRED (jobs.a.secrets)")
  })

  it('reads pass_env values (null when unset), leaves secrets to the secrets, and layers env files under env', () => {
    const dir = project({'.env': 'FROM_FILE=file\nSHARED=file\n', 'ci/more.env': 'MORE="x y"\n'})
    const p = pipeline([job('a', {env: {SHARED: 'job'}, envFiles: ['.env', 'ci/more.env'], passEnv: ['REGION', 'MISSING', 'TOKEN'], secrets: ['TOKEN']})], dir)
    const bound = bindHostEnvironment(planRun(p, []), dir, {REGION: 'eu', TOKEN: 't'}).jobs.get('a')!
    expect(bound.host).toEqual({passEnv: {REGION: 'eu', MISSING: null}, envFileValues: {FROM_FILE: 'file', SHARED: 'file', MORE: 'x y'}})
    expect(jobEnv(bound, {REGION: 'override'}, {TOKEN: 't'})).toEqual({FROM_FILE: 'file', SHARED: 'job', MORE: 'x y', REGION: 'override', TOKEN: 't'})
  })

  it('reports a missing env file, one that leads out of the project, and a malformed one, all at once', () => {
    const outside = project({'host.env': 'HOST_SECRET=1\n'})
    const dir = project({'bad.env': 'oops\n'})
    symlinkSync(path.join(outside, 'host.env'), path.join(dir, 'link.env'))
    const p = pipeline([job('a', {envFiles: ['missing.env', 'link.env', 'bad.env'], position: {file: 'jobs.yml', line: 3, column: 3}})], dir)
    const error = (() => {
      try {
        bindHostEnvironment(planRun(p, []), dir, {})
      } catch (e) {
        return e
      }
    })() as ConfigError
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.diagnostics.map(formatDiagnostic)).toEqual([
      'jobs.yml:3:3 jobs.a.env_file: env file "missing.env" does not exist in the project',
      'jobs.yml:3:3 jobs.a.env_file: env file "link.env" leads out of the project (through a symbolic link)',
      'bad.env:1:1: expected NAME=value, got "oops"',
    ])
  })
})
