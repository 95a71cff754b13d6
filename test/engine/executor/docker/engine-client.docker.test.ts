import {mkdtempSync, rmSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {imageIdResolver} from '../../../../src/engine/cache/image-id.js'
import {OrcaError} from '../../../../src/engine/errors.js'
import {dockerClient, uncleanApiPath} from '../../../../src/engine/executor/docker/engine-client.js'
import {modemOptions, resolveEndpoint} from '../../../../src/engine/executor/docker/endpoint.js'

const servers: Server[] = []
const dirs: string[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

/** An HTTP server that records every request it gets and answers with `answer`. */
async function listener(answer: (url: string) => {status: number; headers?: Record<string, string>; body?: string}, socketPath?: string): Promise<{requests: string[]; port: number}> {
  const requests: string[] = []
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`)
    const {status, headers, body} = answer(request.url ?? '')
    response.writeHead(status, headers).end(body ?? '')
  })
  servers.push(server)
  await new Promise<void>((resolve) => (socketPath ? server.listen(socketPath, resolve) : server.listen(0, '127.0.0.1', resolve)))
  return {requests, port: socketPath ? 0 : (server.address() as AddressInfo).port}
}

const realEngine = async () => dockerClient(modemOptions(resolveEndpoint({env: process.env, homeDir: '/nonexistent', readFile: () => undefined}).url, process.env, () => undefined))

describe('the Docker client (real engine)', () => {
  it('inspects images by their encoded reference, with a registry path and a tag', async () => {
    const docker = await realEngine()
    for (const ref of ['busybox:1.36', 'orca-test/node:20']) {
      const image = await docker.getImage(encodeURIComponent(ref)).inspect()
      expect(image.Id).toMatch(/^sha256:/)
    }
  })

  it('refuses a crafted name before sending anything: no request reaches the engine or the address in the name', async () => {
    const target = await listener(() => ({status: 200, body: '{}'}))
    const docker = await realEngine()
    for (const name of [`x/../..//127.0.0.1:${target.port}/y`, `x%2F..%2F..%2F%2F127.0.0.1:${target.port}%2Fy`, 'foo//bar', 'a%00b']) {
      const error = await docker.getImage(name).inspect().then(() => undefined, (caught: unknown) => caught)
      expect(error, name).toBeInstanceOf(OrcaError)
      expect((error as Error).message).toMatch(/refused to send a Docker API request/)
    }
    // Before the guard, the engine answered 301 and docker-modem sent the next request here.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(target.requests).toEqual([])
  })

  it('treats a redirect from the engine as an error and never follows it', async () => {
    const target = await listener(() => ({status: 200, body: '{"Id":"sha256:from-the-redirect"}'}))
    const dir = mkdtempSync(join(tmpdir(), 'orca-redirect-'))
    dirs.push(dir)
    const socketPath = join(dir, 'engine.sock')
    // An engine (or anything posing as one) that redirects every request to another address.
    const engine = await listener(() => ({status: 301, headers: {Location: `http://127.0.0.1:${target.port}/images/x/json`}}), socketPath)
    const docker = await dockerClient({socketPath})
    const error = await docker.getImage('busybox').inspect().then(() => undefined, (caught: unknown) => caught)
    expect((error as Error).message).toMatch(/answered GET \/images\/busybox\/json with a redirect; orca never follows/)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(engine.requests).toEqual(['GET /images/busybox/json'])
    expect(target.requests).toEqual([])
  })

  it('the image-ID lookup over the socket refuses a bad reference without connecting, and a redirect is an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orca-redirect-'))
    dirs.push(dir)
    const socketPath = join(dir, 'engine.sock')
    const engine = await listener(() => ({status: 301, headers: {Location: '/images/elsewhere/json'}}), socketPath)
    const resolve = imageIdResolver({host: `unix://${socketPath}`, env: {}})
    await expect(resolve('foo//bar')).rejects.toMatchObject({kind: 'config', message: expect.stringMatching(/invalid image reference "foo\/\/bar"/)})
    expect(engine.requests).toEqual([])
    await expect(resolve('orca-test/node:20')).rejects.toThrow(/engine answered 301 \(a redirect\); orca never follows redirects/)
    expect(engine.requests).toEqual(['GET /images/orca-test%2Fnode%3A20/json'])
  })
})

describe('uncleanApiPath', () => {
  it('passes the paths dockerode builds and refuses anything the engine would clean or misread', () => {
    for (const clean of ['/_ping', '/containers/create?', '/images/orca-test%2Fnode%3A20/json', '/containers/abc123/archive?', '/volumes/orca-npm-cache']) {
      expect(uncleanApiPath(clean), clean).toBeUndefined()
    }
    for (const unclean of ['/images//json', '/images/a/../b/json', '/images/./json', '/images/a%2F%2Fb/json', '/images/%2E%2E/json', '/images/a b/json', '/images/a#b', 'images/x', '/images/%zz/json', '/images/a%0Ab/json']) {
      expect(uncleanApiPath(unclean), unclean).toBeDefined()
    }
  })
})
