import {describe, expect, it} from 'vitest'

import {KeyStore} from '../../../src/server/auth/key-store.js'
import {GROUPS_YML, postJson, raw, serversPerTest} from '../server-helpers.js'

const serve = serversPerTest()
const bearer = (secret: string): Record<string, string> => ({authorization: `Bearer ${secret}`})

describe('API keys with scopes on a running server', () => {
  it('answers 401 without a key, 403 for a key without the scope, and serves a key with it', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML})
    const keys = KeyStore.forRunsDir(s.runsDir)
    const reader = keys.add('reader', ['read']).secret
    const runner = keys.add('runner', ['run']).secret

    const anonymous = await raw(s.url, '/v1/runs')
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="orca"')
    expect((await raw(s.url, '/v1/runs', {headers: bearer(reader)})).status).toBe(200)

    const refused = await postJson(s.url, '/v1/runs', {targets: ['a']}, bearer(reader))
    expect(refused.status).toBe(403)
    expect(refused.json().error).toEqual({code: 'insufficient_scope', message: 'this route needs a key with the run scope; key reader has read'})
    expect((await postJson(s.url, '/v1/runs', {targets: ['a']}, bearer(runner))).status).toBe(202)
    // run does not imply read.
    expect((await raw(s.url, '/v1/runs', {headers: bearer(runner)})).status).toBe(403)
    // The liveness route stays public.
    expect((await raw(s.url, '/healthz')).status).toBe(200)
  })

  it('refuses a key revoked while the server runs, at once, and says so', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML})
    const keys = KeyStore.forRunsDir(s.runsDir)
    const {secret} = keys.add('ci', ['admin'])
    expect((await raw(s.url, '/v1/runs', {headers: bearer(secret)})).status).toBe(200)
    keys.revoke('ci')
    const after = await raw(s.url, '/v1/runs', {headers: bearer(secret)})
    expect(after.status).toBe(401)
    expect(after.json().error.message).toBe('the key is revoked')
  })

  it('keeps the server token working as a key with every scope beside the keys', async () => {
    const token = 'a-server-token-0123456789'
    const s = await serve({'jobs.yml': GROUPS_YML}, {token})
    const {secret} = KeyStore.forRunsDir(s.runsDir).add('reader', ['read'])
    expect((await postJson(s.url, '/v1/runs', {targets: ['a']}, bearer(token))).status).toBe(202)
    expect((await raw(s.url, '/v1/runs', {headers: bearer(secret)})).status).toBe(200)
    expect((await raw(s.url, '/v1/runs', {headers: bearer('wrong')})).status).toBe(401)
  })

  it('answers an unknown path 401 without a key and 404 with any valid key', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML})
    const {secret} = KeyStore.forRunsDir(s.runsDir).add('reader', ['read'])
    expect((await raw(s.url, '/v1/nothing-here')).status).toBe(401)
    expect((await raw(s.url, '/v1/nothing-here', {headers: bearer(secret)})).status).toBe(404)
  })

  it('serves the Swagger UI and the document it loads without a key, while the API behind it needs one', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML})
    KeyStore.forRunsDir(s.runsDir).add('reader', ['read'])
    const page = await raw(s.url, '/docs/')
    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toContain('text/html')
    expect(page.text).toContain('swagger')
    const doc = await raw(s.url, '/docs/json')
    expect(doc.status).toBe(200)
    expect(doc.json().paths['/v1/execute'].post['x-orca-scope']).toBe('run')
    expect((await raw(s.url, '/v1/openapi.json')).status).toBe(401)
  })
})
