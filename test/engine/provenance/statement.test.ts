import {describe, expect, it} from 'vitest'

import {buildStatement, type AttestedJob, type StatementInput} from '../../../src/engine/provenance/statement.js'

const KEY = (c: string) => c.repeat(64)

function job(name: string, fields: Partial<AttestedJob> = {}): AttestedJob {
  return {name, status: 'succeeded', key: KEY('a'), cache: 'miss', image: 'busybox:1.36', imageId: 'sha256:' + KEY('1'), builtBy: 'run-1', manifest: {path: `artifacts/${name}.json`, sha256: KEY('e')}, ...fields}
}

function input(jobs: AttestedJob[]): StatementInput {
  return {
    runId: 'run-1',
    orcaVersion: '1.2.3',
    pipeline: {path: 'ci/jobs.yml', sha256: KEY('p')},
    includes: [{path: 'ci/common.yml', sha256: KEY('c')}],
    targets: ['build'],
    startedOn: '2026-11-29T15:00:00.000Z',
    finishedOn: '2026-11-29T15:01:00.000Z',
    jobs,
  }
}

describe('buildStatement', () => {
  it('has one subject per job artifact manifest; a cached one names the run that built it', () => {
    const statement = buildStatement(input([job('build'), job('lint', {manifest: null}), job('pack', {status: 'cached', cache: 'hit', builtBy: 'run-0', key: KEY('b')})]))
    expect(statement._type).toBe('https://in-toto.io/Statement/v1')
    expect(statement.predicateType).toBe('https://slsa.dev/provenance/v1')
    expect(statement.subject).toEqual([
      {name: 'artifacts/build.json', digest: {sha256: KEY('e')}, mediaType: 'application/vnd.orca.artifact-manifest+json', annotations: {job: 'build', key: KEY('a'), cache: 'miss', builtBy: 'run-1'}},
      {name: 'artifacts/pack.json', digest: {sha256: KEY('e')}, mediaType: 'application/vnd.orca.artifact-manifest+json', annotations: {job: 'pack', key: KEY('b'), cache: 'hit', builtBy: 'run-0'}},
    ])
  })

  it('puts the pipeline, its includes and each image once (with the jobs using it) in the resolved dependencies', () => {
    const statement = buildStatement(input([job('a'), job('b'), job('c', {image: 'node:20', imageId: 'sha256:' + KEY('2')}), job('group', {image: null, imageId: null, manifest: null})]))
    expect(statement.predicate.buildDefinition.resolvedDependencies).toEqual([
      {name: 'ci/jobs.yml', digest: {sha256: KEY('p')}, annotations: {role: 'pipeline'}},
      {name: 'ci/common.yml', digest: {sha256: KEY('c')}, annotations: {role: 'include'}},
      {name: 'busybox:1.36', digest: {sha256: KEY('1')}, annotations: {role: 'image', jobs: ['a', 'b']}},
      {name: 'node:20', digest: {sha256: KEY('2')}, annotations: {role: 'image', jobs: ['c']}},
    ])
    expect(statement.predicate.buildDefinition.externalParameters).toEqual({pipeline: 'ci/jobs.yml', targets: ['build']})
    expect(statement.predicate.runDetails).toEqual({
      builder: {id: 'https://orca.dev/builder/orca-cli', version: {orca: '1.2.3'}},
      metadata: {invocationId: 'run-1', startedOn: '2026-11-29T15:00:00.000Z', finishedOn: '2026-11-29T15:01:00.000Z'},
    })
  })

  it('keeps job names such as __proto__ and constructor as data in the jobs table', () => {
    const jobs = buildStatement(input([job('constructor'), job('__proto__')])).predicate.buildDefinition.internalParameters.jobs
    expect(Object.keys(jobs)).toEqual(['constructor', '__proto__'])
    expect(Object.hasOwn(jobs, '__proto__')).toBe(true)
    expect(JSON.stringify(jobs)).toContain(`"__proto__":{"status":"succeeded","key":"${KEY('a')}"`)
  })
})
