import {createServer, type IncomingHttpHeaders, type Server} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import {httpClient} from '../../../../src/engine/cache/remote/http-request.js'
import {turboBackend} from '../../../../src/engine/cache/remote/turbo.js'

interface Seen {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
  socket: number
}

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
})

/** A loopback server that records every request (and which connection it came on) and answers with `answer`. */
async function serve(answer: (seen: Seen, respond: (status: number, headers?: Record<string, string>, body?: string) => void) => void): Promise<{url: string; seen: Seen[]}> {
  const seen: Seen[] = []
  const sockets = new WeakMap<object, number>()
  let connections = 0
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      if (!sockets.has(req.socket)) sockets.set(req.socket, ++connections)
      const one = {method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString(), socket: sockets.get(req.socket)!}
      seen.push(one)
      answer(one, (status, headers = {}, body = '') => res.writeHead(status, headers).end(body))
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen}
}

async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited += 10) {
    if (waited > 5000) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const text = async (body: AsyncIterable<Buffer>): Promise<string> => {
  const chunks: Buffer[] = []
  for await (const chunk of body) chunks.push(chunk)
  return Buffer.concat(chunks).toString()
}

describe('httpClient', () => {
  it('reuses one keep-alive connection for requests made one after another, and asks for uncompressed bytes', async () => {
    const server = await serve((_, respond) => respond(200, {}, 'ok'))
    const client = httpClient()
    try {
      for (let i = 0; i < 3; i++) expect(await text(await client.request(`${server.url}/x${i}`, {method: 'GET', headers: {}, signal: new AbortController().signal}))).toBe('ok')
    } finally {
      client.close()
    }
    expect(server.seen.map((s) => s.socket)).toEqual([1, 1, 1])
    expect(server.seen[0]!.headers['accept-encoding']).toBe('identity')
  })

  it('follows redirects as fetch did: the method and body kept (307), a GET after a 303, credentials only on their own origin', async () => {
    const other = await serve((_, respond) => respond(200, {}, 'elsewhere'))
    const server = await serve((seen, respond) => {
      if (seen.url === '/put') respond(307, {location: '/put-here'})
      else if (seen.url === '/see-other') respond(303, {location: '/got'})
      else if (seen.url === '/away') respond(302, {location: `${other.url}/there`})
      else respond(200, {}, `${seen.method} ${seen.url}`)
    })
    const client = httpClient()
    const signal = new AbortController().signal
    try {
      expect(await text(await client.request(`${server.url}/put`, {method: 'PUT', headers: {authorization: 'Bearer t'}, body: Buffer.from('bytes'), signal}))).toBe('PUT /put-here')
      expect(await text(await client.request(`${server.url}/see-other`, {method: 'PUT', headers: {}, body: Buffer.from('bytes'), signal}))).toBe('GET /got')
      expect(await text(await client.request(`${server.url}/away`, {method: 'GET', headers: {authorization: 'Bearer t'}, signal}))).toBe('elsewhere')
    } finally {
      client.close()
    }
    expect(server.seen.find((s) => s.url === '/put-here')).toMatchObject({body: 'bytes', headers: {authorization: 'Bearer t'}})
    expect(server.seen.find((s) => s.url === '/got')).toMatchObject({method: 'GET', body: ''})
    expect(other.seen[0]!.headers.authorization).toBeUndefined()
  })

  it('close() lets a request in flight finish, then closes every connection', async () => {
    let release: () => void = () => undefined
    const server = await serve((seen, respond) => {
      if (seen.url === '/slow') release = () => respond(200, {}, 'late')
      else respond(200, {}, 'ok')
    })
    const open = new Set<object>()
    servers[servers.length - 1]!.on('connection', (socket) => {
      open.add(socket)
      socket.on('close', () => open.delete(socket))
    })
    const client = httpClient()
    const signal = new AbortController().signal
    expect(await text(await client.request(`${server.url}/idle`, {method: 'GET', headers: {}, signal}))).toBe('ok')
    const slow = client.request(`${server.url}/slow`, {method: 'GET', headers: {}, signal})
    await expect.poll(() => server.seen.some((s) => s.url === '/slow')).toBe(true)
    client.close()
    release()
    expect(await text(await slow)).toBe('late')
    await expect.poll(() => open.size).toBe(0)
  })

  it('preconnect opens the connections ahead, requests then use them (no new ones), close() ends those no request took', async () => {
    const server = await serve((_, respond) => respond(200, {}, 'ok'))
    const opened: Socket[] = []
    servers.at(-1)!.on('connection', (socket: Socket) => opened.push(socket))
    const client = httpClient()
    try {
      client.preconnect(server.url, 4)
      await until(() => opened.length === 4)
      expect(server.seen).toEqual([])
      const answers = await Promise.all([0, 1, 2].map(async (i) => text(await client.request(`${server.url}/x${i}`, {method: 'GET', headers: {}, signal: new AbortController().signal}))))
      expect(answers).toEqual(['ok', 'ok', 'ok'])
      // The three requests went over connections opened ahead: the server saw no fifth.
      expect(opened.length).toBe(4)
      expect(new Set(server.seen.map((s) => s.socket)).size).toBe(3)
    } finally {
      client.close()
    }
    await until(() => opened.every((socket) => socket.closed))
  })

  it('a connection opened ahead that failed is dropped: the request opens its own, nothing is thrown', async () => {
    const client = httpClient()
    try {
      // Nothing listens on port 9: the connections ahead fail unseen.
      client.preconnect('http://127.0.0.1:9', 2)
      await new Promise((resolve) => setTimeout(resolve, 50))
      const server = await serve((_, respond) => respond(200, {}, 'ok'))
      client.preconnect(server.url, 1)
      expect(await text(await client.request(`${server.url}/y`, {method: 'GET', headers: {}, signal: new AbortController().signal}))).toBe('ok')
      await expect(client.request('http://127.0.0.1:9/z', {method: 'GET', headers: {}, signal: new AbortController().signal})).rejects.toThrow(/ECONNREFUSED/)
    } finally {
      client.close()
    }
  })

  it('an aborted request rejects', async () => {
    const server = await serve(() => {
      // Never answers.
    })
    const client = httpClient()
    const controller = new AbortController()
    try {
      const pending = client.request(`${server.url}/slow`, {method: 'GET', headers: {}, signal: controller.signal})
      controller.abort()
      await expect(pending).rejects.toMatchObject({name: 'AbortError'})
    } finally {
      client.close()
    }
  })
})

describe('turboBackend over node:http', () => {
  it('GET, HEAD and PUT an artifact with the token and team; 404 is absent; a 5xx is a retryable error, a 4xx is not', async () => {
    const stored = new Map<string, string>()
    const server = await serve((seen, respond) => {
      const id = seen.url.split('?')[0]!
      if (seen.headers.authorization !== 'Bearer secret') return respond(401)
      if (id.endsWith('orca-blob-broken')) return respond(503)
      if (seen.method === 'PUT') {
        stored.set(id, seen.body)
        return respond(202, {}, '{}')
      }
      const body = stored.get(id)
      return body === undefined ? respond(404) : respond(200, {}, seen.method === 'HEAD' ? '' : body)
    })
    const backend = turboBackend({url: `${server.url}/`, token: 'secret', team: 'my team'})
    const signal = new AbortController().signal
    try {
      const blob = {kind: 'blob', sha256: 'a'.repeat(64)} as const
      expect(await backend.get(blob, signal)).toBeUndefined()
      expect(await backend.has(blob, signal)).toBe(false)
      await backend.put(blob, Buffer.from('content'), signal)
      expect(await backend.has(blob, signal)).toBe(true)
      expect(await text((await backend.get(blob, signal))!)).toBe('content')
      await expect(backend.get({kind: 'blob', sha256: 'broken'}, signal)).rejects.toMatchObject({retryable: true, message: expect.stringContaining('HTTP 503')})
      const refused = turboBackend({url: server.url, token: 'wrong', team: 'my team'})
      await expect(refused.has(blob, signal)).rejects.toMatchObject({retryable: false, message: expect.stringContaining('HTTP 401')})
      refused.close?.()
    } finally {
      backend.close?.()
    }
    expect(server.seen[0]!.url).toBe(`/v8/artifacts/orca-blob-${'a'.repeat(64)}?teamId=my%20team`)
    expect(server.seen.find((s) => s.method === 'PUT')!.headers['content-type']).toBe('application/octet-stream')
  })

  it('an unreachable server is a retryable error naming the cause', async () => {
    const server = await serve((_, respond) => respond(200))
    await new Promise((resolve) => servers.pop()!.close(resolve))
    const backend = turboBackend({url: server.url, team: 't'})
    try {
      await expect(backend.has({kind: 'blob', sha256: 'b'.repeat(64)}, new AbortController().signal)).rejects.toMatchObject({retryable: true, message: expect.stringContaining('ECONNREFUSED')})
    } finally {
      backend.close?.()
    }
  })
})
