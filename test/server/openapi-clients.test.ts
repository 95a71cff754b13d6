// Needs the devDependencies @seriousme/openapi-schema-validator, openapi-typescript and openapi-fetch.
import {Validator} from '@seriousme/openapi-schema-validator'
import createClient from 'openapi-fetch'
import openapiTS, {astToString} from 'openapi-typescript'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {GROUPS_YML, raw, startServer, type TestServer} from './server-helpers.js'

let s: TestServer
let doc: Record<string, unknown>
const TOKEN = 'a-token-for-generated-clients'

beforeAll(async () => {
  s = await startServer({'jobs.yml': GROUPS_YML}, {token: TOKEN})
  doc = (await raw(s.url, '/v1/openapi.json', {headers: {authorization: `Bearer ${TOKEN}`}})).json()
})
afterAll(async () => s.close())

describe('the OpenAPI document, read by tools written elsewhere', () => {
  it('passes an OpenAPI 3.1 validator', async () => {
    const result = await new Validator().validate(doc)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
  })

  it('generates TypeScript types for every operation', async () => {
    const types = astToString(await openapiTS(doc as never))
    for (const name of ['createRun', 'listRuns', 'getRun', 'streamRunEvents', 'getJobLog', 'listArtifacts', 'downloadArtifact', 'cancelRun']) {
      expect(types).toContain(name)
    }
    expect(types).toContain('"/v1/runs/{id}/artifacts/{job}/{path}"')
  })

  it('drives the server end to end through a generated client', async () => {
    // The paths type would come from the generated file; the calls are the client's own.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const client = createClient<any>({baseUrl: s.url, headers: {authorization: `Bearer ${TOKEN}`}})
    const created = await client.POST('/v1/runs', {body: {targets: ['c']}, headers: {'idempotency-key': 'gen-1'}})
    expect(created.response.status).toBe(202)
    const id = (created.data as {id: string}).id
    let record: {status: string; jobs: Record<string, unknown>} | undefined
    for (let i = 0; i < 100 && record?.status !== 'succeeded'; i++) {
      record = (await client.GET('/v1/runs/{id}', {params: {path: {id}}})).data as typeof record
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(record).toMatchObject({status: 'succeeded'})
    expect(Object.keys(record!.jobs)).toEqual(['a', 'b', 'c'])
    const list = await client.GET('/v1/runs', {params: {query: {limit: 10}}})
    expect((list.data as {runs: Array<{id: string}>}).runs.map((r) => r.id)).toEqual([id])
    const artifacts = await client.GET('/v1/runs/{id}/artifacts', {params: {path: {id}}})
    expect(artifacts.data).toEqual({artifacts: []})
    const missing = await client.GET('/v1/runs/{id}', {params: {path: {id: '20990101T000000000Z-000000'}}})
    expect(missing.response.status).toBe(404)
    expect(missing.error).toMatchObject({error: {code: 'not_found'}})
    const unauthenticated = await createClient<any>({baseUrl: s.url}).GET('/v1/runs', {}) // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(unauthenticated.response.status).toBe(401)
  })
})
