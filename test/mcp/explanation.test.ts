import {describe, expect, it} from 'vitest'

import type {Explanation} from '../../src/engine/cache/explain.js'
import {flattenExplanation, jobExplanationSchema, withoutEnvValues} from '../../src/mcp/explanation.js'

const last = {key: 'k0', runId: '20261128T000000000Z-000000', createdAt: '2026-11-28T00:00:00.000Z'}

const explanation: Explanation = {
  job: 'test',
  key: 'k2',
  state: 'changed',
  why: 'key changed',
  last,
  changes: [
    {area: 'env', text: 'API_URL: "https://staging" → "https://prod"'},
    {area: 'env', text: 'TOKEN added ("tok-live-123")'},
    {area: 'env', text: 'OLD removed (was "tok-old-456")'},
    {area: 'inputs', text: 'changed  src/a.ts', path: 'src/a.ts'},
    {area: 'needs', text: 'build: key aaaaaaaaaaaa → bbbbbbbbbbbb', need: 'build'},
  ],
  upstream: [{job: 'build', key: 'k1', state: 'changed', why: 'key changed', last, changes: [{area: 'env', text: 'MODE: "a" → "b"'}], upstream: []}],
}

describe('explanations for an agent', () => {
  it('name the env variables that changed but never their values, here or upstream', () => {
    const hidden = withoutEnvValues(explanation)
    expect(hidden.changes.map((change) => change.text)).toEqual([
      'API_URL changed (value not shown)',
      'TOKEN added (value not shown)',
      'OLD removed (value not shown)',
      'changed  src/a.ts',
      'build: key aaaaaaaaaaaa → bbbbbbbbbbbb',
    ])
    expect(hidden.upstream[0]!.changes[0]!.text).toBe('MODE changed (value not shown)')
    expect(JSON.stringify(hidden)).not.toMatch(/staging|prod"|tok-live|tok-old/)
  })

  it('come as a list: the job asked about, then each needed job whose key changed, with who needed it', () => {
    const flat = flattenExplanation(withoutEnvValues(explanation))
    expect(flat.map((entry) => [entry.job, entry.neededBy])).toEqual([
      ['test', null],
      ['build', 'test'],
    ])
    for (const entry of flat) expect(jobExplanationSchema.parse(entry)).toEqual(entry)
    expect(flat[0]!.changes[3]).toEqual({area: 'inputs', text: 'changed  src/a.ts', path: 'src/a.ts'})
  })

  it('list 100 changes a job at most and count the rest', () => {
    const changes = Array.from({length: 250}, (_, i) => ({area: 'inputs' as const, text: `added    f${i}`, path: `f${i}`}))
    const [entry] = flattenExplanation({...explanation, changes, upstream: []})
    expect(entry!.changes).toHaveLength(100)
    expect(entry!.changesOmitted).toBe(150)
  })
})
