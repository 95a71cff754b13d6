import {createServer, type Server} from 'node:http'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {fillRoute, spellingsOf} from '../server/request-spellings.js'
import {rawSocket} from '../helpers/raw-socket.js'
import {startServe, type ServeProcess} from '../e2e/serve-process.js'
import {checkRunDirs, Projects} from './support.js'
import {tally} from './tally.js'

const projects = new Projects()
const servers: ServeProcess[] = []
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const s of servers.splice(0)) if (s.child.exitCode === null) s.child.kill('SIGKILL')
  for (const cleanup of cleanups.splice(0)) await cleanup()
  projects.removeAll()
})

const TOKEN = 'fault-suite-token-0123456789'
const auth = {authorization: `Bearer ${TOKEN}`}

const PIPELINE = `version: 1
image: busybox:1.36
jobs:
  build:
    network: none
    steps: ["echo hi"]
  constructor:
    needs: [build]
`

/**
 * A Docker engine that has no images and answers a pull with a progress line that is not JSON: the
 * Docker client parses it in a stream listener, where the error it throws reaches no caller: an uncaught exception in orca's process. (orca never follows an engine's
 * redirects, which were this test's way in before.)
 */
async function garbledEngine(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'orca-faults-engine-'))
  const socket = join(dir, 'docker.sock')
  const server: Server = createServer((req, res) => {
    if (req.url?.endsWith('/_ping')) {
      res.writeHead(200, {'content-type': 'text/plain'}).end('OK')
      return
    }
    if (req.method === 'POST' && req.url?.includes('/images/create')) {
      res.writeHead(200, {'content-type': 'application/json'}).end('{"status":"Pulling"}\nthis is not JSON\n')
      return
    }
    res.writeHead(404, {'content-type': 'application/json'}).end('{"message":"No such image"}')
  })
  await new Promise<void>((resolve) => server.listen(socket, resolve))
  cleanups.push(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    rmSync(dir, {recursive: true, force: true})
  })
  return `unix://${socket}`
}

async function serve(dir: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const server = await startServe(dir, args, env)
  servers.push(server)
  return server
}

/** Reads an SSE stream to its end; the last engine event and the end message. */
async function streamToEnd(url: string): Promise<{last: Record<string, unknown>; end: string}> {
  const text = await (await fetch(url, {headers: auth, signal: AbortSignal.timeout(60_000)})).text()
  const blocks = text.trimEnd().split('\n\n')
  const data = blocks.filter((b) => b.startsWith('id: ')).map((b) => JSON.parse(/^data: (.*)$/m.exec(b)![1]!) as Record<string, unknown>)
  return {last: data.at(-1)!, end: blocks.at(-1)!}
}

describe('orca serve under hostile conditions', () => {
  it('survives a run whose Docker client throws where nothing can catch it: that run fails, the server answers', async () => {
    const dir = projects.create({'jobs.yml': PIPELINE})
    const server = await serve(dir, ['--token', TOKEN], {ORCA_DOCKER_HOST: await garbledEngine(), ORCA_DOCKER_TIMEOUT: '3s'})
    for (let i = 0; i < 3; i++) {
      const created = await fetch(`${server.url}/v1/runs`, {method: 'POST', headers: {...auth, 'content-type': 'application/json'}, body: '{"targets": ["build"]}'})
      expect(created.status).toBe(202)
      const {id, eventsUrl} = (await created.json()) as {id: string; eventsUrl: string}
      const {last, end} = await streamToEnd(`${server.url}${eventsUrl}`)
      expect(last).toMatchObject({type: 'run.finished', status: 'failed'})
      expect(end).toMatch(/^event: end\n/)
      const record = (await (await fetch(`${server.url}/v1/runs/${id}`, {headers: auth})).json()) as {status: string}
      expect(record.status).toBe('failed')
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
      tally('serve runs failed by a stray error')
    }
    // The errors reached the guard (and were not the process's end).
    expect(server.stderr()).toContain('(the server keeps running)')
    expect(server.child.exitCode).toBeNull()
    const check = await checkRunDirs(dir)
    expect(check.problems).toEqual([])
    server.child.kill('SIGTERM')
    expect((await server.exit).code).toBe(0)
  })

  it('answers every spelling of every route without the token with a refusal, and prototype-named input with 4xx', async () => {
    const dir = projects.create({'jobs.yml': PIPELINE, '.env': 'API_TOKEN=do-not-echo-me\n'})
    const server = await serve(dir, ['--token', TOKEN])
    const created = await fetch(`${server.url}/v1/runs`, {method: 'POST', headers: {...auth, 'content-type': 'application/json'}, body: '{"targets": ["constructor"], "noCache": true}'})
    const {id, eventsUrl} = (await created.json()) as {id: string; eventsUrl: string}
    await streamToEnd(`${server.url}${eventsUrl}`)

    // Every route the server documents, and the document itself, in every spelling.
    const doc = (await (await fetch(`${server.url}/v1/openapi.json`, {headers: auth})).json()) as {paths: Record<string, Record<string, unknown>>}
    const routes = [...Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => [m.toUpperCase(), path] as const)), ['GET', '/v1/openapi.json'] as const]
    expect(routes.length).toBeGreaterThanOrEqual(9)
    let sent = 0
    for (const [method, pattern] of routes) {
      const path = fillRoute(pattern.replace(/\{(\w+)\}/g, ':$1').replace(':path', '*'), {id, job: 'build', '*': 'x.txt', port: '8080'})
      for (const target of spellingsOf(path, server.port)) {
        const res = await rawSocket(server.port, target, {method})
        sent++
        if (pattern === '/healthz' && res.status === 200) continue
        expect([400, 401, 431], `${method} ${target.slice(0, 100)}`).toContain(res.status)
        expect(res.body).not.toContain(id)
      }
    }
    tally('hostile HTTP requests refused', sent)

    // Prototype-named names in paths and bodies are data: a 4xx, never a 500, and the server stays up.
    const names = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf']
    const hostile: Array<[string, string, string?]> = []
    for (const name of names) {
      hostile.push(['GET', `/v1/runs/${name}`], ['GET', `/v1/runs/${id}/artifacts/${name}/x`], ['GET', `/v1/runs/${name}/events`], ['POST', `/v1/runs/${name}/cancel`])
      hostile.push(['POST', '/v1/runs', `{"${name}": {"targets": ["build"]}}`], ['POST', '/v1/runs', `{"env": {"${name}": "x"}, "targets": ["nope"]}`])
      // `constructor` is a job of this pipeline: its log and its name as a target are real.
      if (name !== 'constructor') hostile.push(['GET', `/v1/runs/${id}/logs/${name}`], ['POST', '/v1/runs', JSON.stringify({targets: [name]})])
    }
    hostile.push(['POST', '/v1/runs', '{"file": ".env"}'], ['POST', '/v1/runs', '{"__proto__": {"file": ".env"}}'])
    for (const [method, path, body] of hostile) {
      const res = await fetch(`${server.url}${path}`, {method, headers: {...auth, ...(body ? {'content-type': 'application/json'} : {})}, body})
      const text = await res.text()
      expect(res.status, `${method} ${path} ${body ?? ''}: ${text}`).toBeGreaterThanOrEqual(400)
      expect(res.status, `${method} ${path} ${body ?? ''}: ${text}`).toBeLessThan(500)
      expect(text).not.toContain('do-not-echo-me')
    }
    tally('hostile HTTP requests refused', hostile.length)
    expect((await fetch(`${server.url}/v1/runs/${id}/logs/constructor`, {headers: auth})).status).toBe(200)
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    server.child.kill('SIGTERM')
    expect((await server.exit).code).toBe(0)
  })
})
