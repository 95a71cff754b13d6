import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {fillRoute, spellingsOf} from './request-spellings.js'
import {rawSocket} from '../helpers/raw-socket.js'
import {GROUPS_YML, seedRun, serversPerTest, type TestServer} from './server-helpers.js'

const serve = serversPerTest()

const TOKEN = 'route-auth-token-0123456789'
const RUN = '20260101T000000000Z-c0ffee'
const CANARY = 'canary-7f3a9e'
const PARAMS = {id: RUN, job: 'build', '*': 'out/report.txt', name: 'dashboard.js', port: '8080'}

/** A server with a token over a finished run whose log, artifact and record hold the canary. */
async function served(): Promise<TestServer> {
  const s = await serve({'jobs.yml': GROUPS_YML}, {token: TOKEN})
  seedRun(s.runsDir, RUN, {build: {artifacts: [{path: 'out/report.txt', size: CANARY.length, sha256: '0'.repeat(64)}]}})
  writeFileSync(join(s.runsDir, RUN, 'logs', 'build.log'), `${CANARY}\n`)
  mkdirSync(join(s.runsDir, RUN, 'artifacts', 'build', 'out'), {recursive: true})
  writeFileSync(join(s.runsDir, RUN, 'artifacts', 'build', 'out', 'report.txt'), CANARY)
  return s
}

/** What a request without the token may get: the 401, or the HTTP parser's refusal of a request it cannot parse. */
function expectRefused(res: {status: number; head: string; body: string}, what: string): void {
  expect([400, 401, 431], what).toContain(res.status)
  if (res.status === 400) expect(res.body, what).toMatch(/^$|^\{"error":"Bad Request","message":"Client Error","statusCode":400\}$/)
  if (res.status === 401) {
    expect(res.head.toLowerCase(), what).toContain('www-authenticate: bearer')
    if (!what.startsWith('HEAD')) expect(res.body, what).toContain('"code":"unauthorized"')
  }
  expect(res.body, what).not.toContain(CANARY)
  expect(res.body, what).not.toContain('"status":"succeeded"')
}

describe('the token is decided by the matched route', () => {
  it('has public routes only for /healthz, the Swagger UI under /docs and the dashboard\'s page and assets; every other route the app registers needs the token', async () => {
    const s = await served()
    const routes = s.server.routes
    expect(routes.length).toBeGreaterThan(10)
    const publicRoutes = routes.filter((r) => r.public).map((r) => `${r.method} ${r.url}`)
    expect(publicRoutes, publicRoutes.join(', ')).toEqual(
      expect.arrayContaining(['GET /healthz', 'HEAD /healthz', 'GET /docs/', 'GET /docs/json', 'GET /docs/static/*', 'GET /', 'HEAD /', 'GET /assets/:name', 'HEAD /assets/:name']),
    )
    for (const route of publicRoutes) expect(route).toMatch(/^(GET|HEAD) (\/healthz|\/docs(\/.*)?|\/|\/assets\/:name)$/)
    for (const route of routes) {
      const path = fillRoute(route.url, PARAMS)
      const without = await rawSocket(s.port, path, {method: route.method})
      const withToken = await rawSocket(s.port, path, {method: route.method, headers: {authorization: `Bearer ${TOKEN}`}})
      // With the token the filled-in path reaches its route, so the spellings below test real routes.
      expect(withToken.status, `${route.method} ${path} with the token`).not.toBe(401)
      // The UI's routes answer as they do (its page redirects, a made-up asset is a 404), without the token.
      if (route.public) expect(without.status, `${route.method} ${path}`).toBe(route.url.startsWith('/docs') ? withToken.status : 200)
      else expectRefused(without, `${route.method} ${path}`)
    }
  })

  it('has a scope (or public) declared by every route it registers', async () => {
    const s = await served()
    const undeclared = s.server.routes.filter((r) => !r.public && r.scope === undefined).map((r) => `${r.method} ${r.url}`)
    expect(undeclared).toEqual([])
  })

  // Hundreds of raw requests, one after another (every spelling of every route): more than a unit
  // test's usual 10 s on a loaded two-core machine, and more with each route the API gains (the
  // sandbox routes added about half again: 30 s was just missed at a load of 22 on two cores).
  it('refuses every spelling of every protected route without the token, over raw sockets', {timeout: 60_000}, async () => {
    const s = await served()
    let sent = 0
    for (const route of s.server.routes) {
      for (const target of spellingsOf(fillRoute(route.url, PARAMS), s.port)) {
        const res = await rawSocket(s.port, target, {method: route.method})
        sent++
        const what = `${route.method} ${target.slice(0, 120)} -> ${res.status}`
        if (route.public && (route.url.startsWith('/docs') || route.url === '/' || route.url === '/assets/:name')) {
          // The Swagger UI's and the dashboard's pages and assets: public, and nothing of the project
          // (the dashboard reads everything through the API); an asset name it does not serve is a 404.
          expect(res.body, what).not.toContain(CANARY)
          continue
        }
        if (route.public && res.status === 200) {
          // A spelling the router takes for /healthz gets the health document and nothing else.
          if (route.method === 'GET') expect(JSON.parse(res.body), what).toMatchObject({status: 'ok'})
          continue
        }
        expectRefused(res, what)
      }
    }
    expect(sent).toBeGreaterThan(1000)
  })

  it('checks the token before saying a target is malformed, and says it in the JSON error shape', async () => {
    const s = await served()
    for (const [target, status] of [['/v1/runs/%', 400], ['/v1/runs/%zz/events', 400], [`/v1/runs/${'a'.repeat(200)}`, 414]] as const) {
      expect((await rawSocket(s.port, target)).status, target).toBe(401)
      const res = await rawSocket(s.port, target, {headers: {authorization: `Bearer ${TOKEN}`}})
      expect(res.status, target).toBe(status)
      expect(JSON.parse(res.body)).toEqual({error: {code: 'invalid_request', message: expect.any(String)}})
      expect(res.body).not.toContain('aaaa')
    }
  })

  it('answers unknown paths with 401 without the token, so a 404 reveals nothing', async () => {
    const s = await served()
    for (const path of ['/nope', '/v1/nope', '/v1/runs/x/y/z', '/v2/runs', '/.env', '/v1/runs/../../etc/passwd', '/healthz/x']) {
      for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
        const res = await rawSocket(s.port, path, {method})
        expect(res.status, `${method} ${path}`).toBe(401)
        expect(res.body).toContain('"code":"unauthorized"')
        const known = await rawSocket(s.port, path, {method, headers: {authorization: `Bearer ${TOKEN}`}})
        expect(known.status, `${method} ${path} with the token`).toBe(404)
      }
    }
  })
})
