import {describe, expect, it} from 'vitest'

import {planRun} from '../../../src/engine/plan/plan.js'
import {resolveSecrets} from '../../../src/engine/run/secrets.js'
import {job, pipeline} from '../../helpers/pipeline.js'

describe('resolveSecrets', () => {
  it('reads secrets named like Object.prototype\'s properties from the environment itself, never from the prototype', () => {
    const p = pipeline([job('a', {secrets: ['constructor', 'toString', '__proto__']})])
    expect(() => resolveSecrets(planRun(p, []), {})).toThrow("secrets not set in orca's environment: constructor (jobs.a.secrets), toString (jobs.a.secrets), __proto__ (jobs.a.secrets)")
    const env = JSON.parse('{"constructor": "s1", "toString": "s2", "__proto__": "s3"}') as NodeJS.ProcessEnv
    expect(Object.entries(resolveSecrets(planRun(p, []), env))).toEqual([['constructor', 's1'], ['toString', 's2'], ['__proto__', 's3']])
  })

  it('reads the secrets of planned jobs and names every missing one with its job', () => {
    const p = pipeline([job('a', {secrets: ['A_TOKEN']}), job('b', {secrets: ['B_TOKEN', 'C_TOKEN']})])
    expect(resolveSecrets(planRun(p, ['a']), {A_TOKEN: 'x'})).toEqual({A_TOKEN: 'x'})
    expect(() => resolveSecrets(planRun(p, []), {A_TOKEN: 'x'})).toThrow(
      "secrets not set in orca's environment: B_TOKEN (jobs.b.secrets), C_TOKEN (jobs.b.secrets)",
    )
  })

  it("leaves out a job's optional secret that is not set, but not a service's secret of the same name", () => {
    const p = pipeline([job('a', {secrets: ['TOKEN'], optionalSecrets: ['TOKEN']})])
    expect(resolveSecrets(planRun(p, []), {})).toEqual({})
    expect(resolveSecrets(planRun(p, []), {TOKEN: 't'})).toEqual({TOKEN: 't'})
    const service = {name: 'db', image: 'postgres:16', env: {}, secrets: ['TOKEN'], aliases: [], ready: {kind: 'default' as const}, readyTimeoutMs: 1, readyIntervalMs: 1, resources: {}}
    const withService = pipeline([job('a', {secrets: ['TOKEN'], optionalSecrets: ['TOKEN'], services: {db: service}})])
    expect(() => resolveSecrets(planRun(withService, []), {})).toThrow("secret not set in orca's environment: TOKEN (services.db.secrets of job a)")
  })
})
