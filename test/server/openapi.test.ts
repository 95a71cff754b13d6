import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {eventually, gatedExecutor, WAIT_YML} from './gated-executor.js'
import {postJson, raw, readSse, startServer, type RawResponse, type TestServer} from './server-helpers.js'

type Doc = {
  openapi: string
  paths: Record<string, Record<string, {operationId?: string; security?: unknown[]; 'x-orca-scope'?: string; responses: Record<string, {content?: Record<string, {schema?: object}>}>}>>
  components: {schemas: Record<string, object>}
}

let s: TestServer
let doc: Doc
let ajv: InstanceType<typeof Ajv2020.default>
const gate = gatedExecutor()

beforeAll(async () => {
  s = await startServer({'jobs.yml': WAIT_YML}, {executor: gate.factory})
  doc = (await raw(s.url, '/v1/openapi.json')).json()
  ajv = new Ajv2020.default({strict: false, allErrors: true})
  addFormats.default(ajv)
  // The document itself is the schema root, so `#/components/schemas/…` references resolve.
  ajv.addSchema(doc as object, 'openapi')
})
afterAll(async () => {
  gate.open()
  await s.close()
})

/** Checks a real response against the schema the document gives for its route, status and type. */
function conforms(route: string, method: string, res: RawResponse): void {
  const operation = doc.paths[route]?.[method]
  expect(operation, `${method} ${route} is documented`).toBeDefined()
  const response = operation!.responses[String(res.status)]
  expect(response, `${method} ${route} documents status ${res.status}`).toBeDefined()
  const type = String(res.headers['content-type']).split(';')[0]!
  const media = response!.content?.[type]
  expect(media, `${method} ${route} ${res.status} documents ${type}`).toBeDefined()
  if (type !== 'application/json') return
  const pointer = `openapi#/paths/${route.replaceAll('~', '~0').replaceAll('/', '~1')}/${method}/responses/${res.status}/content/application~1json/schema`
  const validate = ajv.getSchema(pointer)!
  const ok = validate(res.json())
  expect(validate.errors ?? [], `${method} ${route} ${res.status}`).toEqual([])
  expect(ok).toBe(true)
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with every route and the published schemas as components', () => {
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/healthz',
      '/v1/execute',
      '/v1/runs',
      '/v1/runs/{id}',
      '/v1/runs/{id}/artifacts',
      '/v1/runs/{id}/artifacts/{job}/{path}',
      '/v1/runs/{id}/cancel',
      '/v1/runs/{id}/events',
      '/v1/runs/{id}/graph',
      '/v1/runs/{id}/jobs/{job}/explain',
      '/v1/runs/{id}/logs/{job}',
      '/v1/runs/{id}/provenance',
      '/v1/sandboxes',
      '/v1/sandboxes/{id}',
      '/v1/sandboxes/{id}/exec',
      '/v1/sandboxes/{id}/files',
      '/v1/sandboxes/{id}/ports/{port}',
      '/v1/sandboxes/{id}/shell',
      '/v1/sandboxes/{id}/touch',
      '/v1/session',
      '/v1/uploads',
      '/v1/uploads/missing',
      '/v1/webhooks/deliveries',
    ])
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['RunRecord', 'RunRecord.job', 'Event', 'Event.run.started', 'Error']))
    // Every reference points at something in the document.
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? []
    for (const ref of refs) expect(ajv.getSchema(`openapi${JSON.parse(`{${ref}}`).$ref}`), ref).toBeDefined()
  })

  it('says which routes need a key, and with which scope: all but /healthz', () => {
    const scopeOf = new Map(s.server.routes.map((r) => [`${r.method.toLowerCase()} ${r.url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{path}')}`, r.scope]))
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const scope = scopeOf.get(`${method} ${path}`)
        expect(operation.security, `${method} ${path}`).toEqual(path === '/healthz' ? [] : [{bearer: [scope]}])
        if (path === '/healthz') continue
        expect(['read', 'run', 'sandbox', 'admin'], `${method} ${path}`).toContain(scope)
        expect(operation['x-orca-scope'], `${method} ${path}`).toBe(scope)
        expect(operation.responses['401'], `${method} ${path}`).toBeDefined()
        expect(operation.responses['403'], `${method} ${path}`).toBeDefined()
      }
    }
  })

  it('describes every real response of every route', async () => {
    conforms('/healthz', 'get', await raw(s.url, '/healthz'))
    const created = await postJson(s.url, '/v1/runs', {targets: ['work']})
    conforms('/v1/runs', 'post', created)
    const {id} = created.json()
    await eventually(() => gate.started.length === 1 || undefined)
    conforms('/v1/runs', 'get', await raw(s.url, '/v1/runs'))
    conforms('/v1/runs/{id}', 'get', await raw(s.url, `/v1/runs/${id}`))
    const stream = readSse(s.url, `/v1/runs/${id}/events`)
    gate.open()
    const {events, contentType} = await stream
    expect(contentType).toMatch(/^text\/event-stream/)
    const event = ajv.getSchema('openapi#/components/schemas/Event')!
    for (const e of events) expect(event(e), JSON.stringify(event.errors)).toBe(true)
    await eventually(async () => ((await raw(s.url, `/v1/runs/${id}`)).json().status === 'succeeded' ? true : undefined))
    conforms('/v1/runs/{id}', 'get', await raw(s.url, `/v1/runs/${id}`))
    conforms('/v1/runs/{id}/logs/{job}', 'get', await raw(s.url, `/v1/runs/${id}/logs/work`))
    conforms('/v1/runs/{id}/artifacts', 'get', await raw(s.url, `/v1/runs/${id}/artifacts`))
    conforms('/v1/runs/{id}/provenance', 'get', await raw(s.url, `/v1/runs/${id}/provenance`))
    conforms('/v1/runs/{id}/cancel', 'post', await raw(s.url, `/v1/runs/${id}/cancel`, {method: 'POST'}))
    // Error replies follow the Error schema too.
    conforms('/v1/runs', 'post', await postJson(s.url, '/v1/runs', {targets: ['nope']}))
    conforms('/v1/runs', 'post', await raw(s.url, '/v1/runs', {method: 'POST', headers: {'content-type': 'text/plain'}, body: 'x'}))
    conforms('/v1/runs', 'post', await postJson(s.url, '/v1/runs', {file: '.env'}))
    const over = await raw(s.url, `/v1/runs/${id}/events`, {headers: {'last-event-id': '999'}})
    expect(over.status).toBe(204)
    expect(doc.paths['/v1/runs/{id}/events']!.get!.responses['204']).toBeDefined()
    conforms('/v1/runs/{id}', 'get', await raw(s.url, '/v1/runs/20990101T000000000Z-000000'))
    conforms('/v1/runs/{id}/artifacts/{job}/{path}', 'get', await raw(s.url, `/v1/runs/${id}/artifacts/work/..%2frun.json`))
    conforms('/v1/runs/{id}/artifacts/{job}/{path}', 'get', await raw(s.url, `/v1/runs/${id}/artifacts/work/none.txt`))
  })
})
