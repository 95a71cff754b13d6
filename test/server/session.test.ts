import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {OPEN_PRINCIPAL} from '../../src/server/auth/authorize.js'
import {Sessions, sessionIdOf} from '../../src/server/session.js'
import {GROUPS_YML, postJson, raw, seedRun, serversPerTest} from './server-helpers.js'

const serve = serversPerTest()
const TOKEN = 'session-token-0123456789'
const RUN = '20260101T000000000Z-5e5510'

/** The cookie a successful exchange sets, as a browser would send it back. */
async function logIn(url: string, authorization = `Bearer ${TOKEN}`): Promise<{status: number; setCookie: string; cookie: string}> {
  const res = await raw(url, '/v1/session', {method: 'POST', headers: {authorization}})
  const setCookie = String(res.headers['set-cookie'] ?? '')
  return {status: res.status, setCookie, cookie: setCookie.split(';')[0] ?? ''}
}

describe('browser sessions', () => {
  it('exchange the bearer token for an HttpOnly, SameSite=Strict cookie that authenticates reads', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML}, {token: TOKEN})
    const session = await logIn(s.url)
    expect(session.status).toBe(204)
    expect(session.setCookie).toMatch(/^orca_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/)
    // Loopback over plain HTTP: no Secure, or the browser would drop the cookie.
    expect(session.setCookie).not.toContain('Secure')
    expect((await raw(s.url, '/v1/runs', {headers: {cookie: session.cookie}})).status).toBe(200)
    expect((await raw(s.url, '/v1/runs', {headers: {cookie: 'orca_session=forged'}})).status).toBe(401)
    expect((await raw(s.url, '/v1/runs')).status).toBe(401)
  })

  it('refuse a wrong token, and give no session for one', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML}, {token: TOKEN})
    const refused = await logIn(s.url, 'Bearer wrong-token-0123456789')
    expect(refused.status).toBe(401)
    expect(refused.setCookie).toBe('')
  })

  it('need X-Orca-Request on a state-changing request authenticated by the cookie (no cross-site forgery)', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML}, {token: TOKEN})
    const {cookie} = await logIn(s.url)
    const forged = await postJson(s.url, '/v1/runs', {}, {cookie})
    expect(forged.status).toBe(403)
    expect(forged.json().error.code).toBe('missing_request_header')
    // With the header the request reaches the route (the run starts: a group-only pipeline runs no container).
    const sent = await postJson(s.url, '/v1/runs', {}, {cookie, 'x-orca-request': '1'})
    expect(sent.status).toBe(202)
    await s.server.runs.drain('finish')
  })

  it('end at logout: the cookie is cleared and no longer accepted', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML}, {token: TOKEN})
    const {cookie} = await logIn(s.url)
    const out = await raw(s.url, '/v1/session', {method: 'DELETE', headers: {cookie, 'x-orca-request': '1'}})
    expect(out.status).toBe(204)
    expect(String(out.headers['set-cookie'])).toMatch(/^orca_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0/)
    expect((await raw(s.url, '/v1/runs', {headers: {cookie}})).status).toBe(401)
  })

  it('expire after 12 hours', () => {
    let now = 0
    const sessions = new Sessions(() => now)
    const id = sessions.open(OPEN_PRINCIPAL)
    const request = (method: string) => ({method, headers: {cookie: `a=b; orca_session=${id}`}}) as never
    expect(sessions.authorize(request('GET'), {scope: 'read'})).toBe(OPEN_PRINCIPAL)
    now = 12 * 60 * 60 * 1000
    expect(sessions.authorize(request('GET'), {scope: 'read'})).toBeUndefined()
  })

  it('have the scopes of the key they were exchanged for', () => {
    const sessions = new Sessions()
    const reader = {id: 'k1', name: 'reader', scopes: ['read' as const]}
    const id = sessions.open(reader)
    const request = (method: string) => ({method, headers: {cookie: `orca_session=${id}`, 'x-orca-request': '1'}}) as never
    expect(sessions.authorize(request('GET'), {scope: 'read'})).toBe(reader)
    expect(() => sessions.authorize(request('POST'), {scope: 'run'})).toThrow(/needs a key with the run scope/)
  })

  it('reads the session id among other cookies', () => {
    expect(sessionIdOf('x=1; orca_session=abc=; y=2')).toBe('abc=')
    expect(sessionIdOf('x=1')).toBeUndefined()
    expect(sessionIdOf(undefined)).toBeUndefined()
  })
})

describe('what the dashboard is served with', () => {
  it('serves its page without the token under a strict content security policy', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML}, {token: TOKEN})
    const page = await raw(s.url, '/')
    expect(page.status).toBe(200)
    expect(page.text).toContain('<div id="app">')
    expect(page.headers['content-security-policy']).toContain("script-src 'self'")
    expect(page.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/)
    expect(page.headers['x-content-type-options']).toBe('nosniff')
    const script = await raw(s.url, '/assets/dashboard.js')
    expect(script.status).toBe(200)
    expect(script.headers['content-type']).toMatch(/^text\/javascript|^application\/javascript/)
    expect((await raw(s.url, '/assets/..%2f..%2fpackage.json')).status).toBe(404)
  })

  it('sends logs as text that is never sniffed or run, and a graph of the needs', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML}, {token: TOKEN})
    const record = seedRun(s.runsDir, RUN, {a: {}, b: {}, c: {}})
    writeFileSync(join(s.runsDir, RUN, 'run.json'), JSON.stringify({...record, file: join(s.dir, 'jobs.yml')}))
    writeFileSync(join(s.runsDir, RUN, 'logs', 'b.log'), '<script>alert(1)</script>\n')
    const auth = {authorization: `Bearer ${TOKEN}`}
    const log = await raw(s.url, `/v1/runs/${RUN}/logs/b`, {headers: auth})
    expect(log.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(log.headers['x-content-type-options']).toBe('nosniff')
    expect(log.headers['content-security-policy']).toBe('sandbox')
    const graph = await raw(s.url, `/v1/runs/${RUN}/graph`, {headers: auth})
    expect(graph.status).toBe(200)
    expect(graph.json()).toEqual({needs: {a: [], b: ['a'], c: ['b']}, fromFile: true})
  })
})
