import {execFileSync, spawn} from 'node:child_process'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {WebSocket} from 'ws'

import {KeyStore} from '../../src/server/auth/key-store.js'
import {verifySignature} from '../../src/server/webhooks/signature.js'
import {startWebhookReceiver, type WebhookReceiver} from '../helpers/webhook-receiver.js'
import {makeProject, orca, ORCA_BIN, removeProjectResources} from './cli.js'
import {execLines, filesOfTar, sandboxContainers, tarOf} from './sandbox-helpers.js'
import {startServe, type ServeProcess} from './serve-process.js'
import {orcaLine, terminalsPerTest} from '../helpers/tmux.js'

const TOKEN = 'sandbox-test-token-0123456789'
const auth = {authorization: `Bearer ${TOKEN}`}
const json = {...auth, 'content-type': 'application/json'}

// Four sandboxes of the token at once at most in this file (the terminal and port tests keep theirs).
const CONFIG = `serve:
  limits:
    concurrency: 4
  sandboxes:
    images: ["busybox:1.36"]
    ttl: 2m
    maxTtl: 10m
    memory: 64m
`

let project: {dir: string; cleanup: () => void}
let server: ServeProcess

beforeAll(async () => {
  project = makeProject({'jobs.yml': 'version: 1\nimage: busybox:1.36\njobs:\n  a:\n    steps: [echo]\n', 'orca.config.yml': CONFIG})
  server = await startServe(project.dir, [], {ORCA_TOKEN: TOKEN})
})

afterAll(async () => {
  server.child.kill('SIGTERM')
  await server.exit
  removeProjectResources(project.dir)
  project.cleanup()
})

interface Sandbox {
  id: string
  state: string
  expiresAt: string
  containerId: string
  limits: {memoryBytes: number}
}

async function create(body: Record<string, unknown>): Promise<Sandbox> {
  const response = await fetch(`${server.url}/v1/sandboxes`, {method: 'POST', headers: json, body: JSON.stringify(body)})
  expect(response.status, await response.clone().text()).toBe(201)
  return (await response.json()) as Sandbox
}

async function exec(id: string, body: Record<string, unknown>): Promise<ReturnType<typeof execLines>> {
  const response = await fetch(`${server.url}/v1/sandboxes/${id}/exec`, {method: 'POST', headers: json, body: JSON.stringify(body)})
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toMatch(/application\/x-ndjson/)
  return execLines(await response.text())
}

/** The status a WebSocket upgrade request gets (101 when it is accepted; the socket is closed at once). */
function upgradeStatus(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}${path}`, {headers})
    socket.on('unexpected-response', (request, response) => {
      resolve(response.statusCode ?? 0)
      request.destroy()
    })
    socket.on('open', () => {
      socket.close()
      resolve(101)
    })
    socket.on('error', reject)
  })
}

const get = (id: string): Promise<Response> => fetch(`${server.url}/v1/sandboxes/${id}`, {headers: auth})

describe('sandboxes over HTTP', () => {
  it('lives a whole life: create, exec with streamed output and exit code, tar in and out (an escaping archive refused), touch, delete', async () => {
    const sandbox = await create({image: 'busybox:1.36', env: {GREETING: 'hello'}})
    expect(sandbox.state).toBe('running')
    expect(sandboxContainers(sandbox.id)).toHaveLength(1)
    // Limits are the server's caps when none are asked for.
    expect(sandbox.limits.memoryBytes).toBe(64 * 1024 ** 2)

    const listed = (await (await fetch(`${server.url}/v1/sandboxes`, {headers: auth})).json()) as {sandboxes: Sandbox[]}
    expect(listed.sandboxes.map((s) => s.id)).toContain(sandbox.id)

    const lines = await exec(sandbox.id, {cmd: ['sh', '-c', 'echo "$GREETING $EXTRA"; echo oops >&2; cat; exit 3'], env: {EXTRA: 'there'}, stdin: 'from stdin\n'})
    const text = (stream: string): string => lines.filter((l) => l.stream === stream).map((l) => l.text).join('')
    expect(text('stdout')).toBe('hello there\nfrom stdin\n')
    expect(text('stderr')).toBe('oops\n')
    expect(lines.at(-1)).toEqual({type: 'exit', exitCode: 3})

    const upload = await tarOf([{name: 'src/main.txt', content: 'main\n'}, {name: 'src/link', linkname: 'main.txt'}])
    const put = await fetch(`${server.url}/v1/sandboxes/${sandbox.id}/files?path=/work`, {method: 'PUT', headers: {...auth, 'content-type': 'application/x-tar'}, body: upload})
    expect(put.status).toBe(200)
    expect(await put.json()).toEqual({files: 1, bytes: 5})
    expect((await exec(sandbox.id, {cmd: ['cat', '/work/src/link']})).find((l) => l.stream === 'stdout')?.text).toBe('main\n')

    for (const escaping of [
      [{name: 'a.txt', content: 'a'}, {name: 'evil', linkname: '../../etc/passwd'}],
      [{name: '../up.txt', content: 'up'}],
      [{name: '/abs.txt', content: 'abs'}],
    ]) {
      const refused = await fetch(`${server.url}/v1/sandboxes/${sandbox.id}/files?path=/work`, {method: 'PUT', headers: {...auth, 'content-type': 'application/x-tar'}, body: await tarOf(escaping)})
      expect(refused.status).toBe(400)
      expect(((await refused.json()) as {error: {code: string}}).error.code).toBe('unsafe_archive')
    }
    const relative = await fetch(`${server.url}/v1/sandboxes/${sandbox.id}/files?path=work`, {method: 'PUT', headers: {...auth, 'content-type': 'application/x-tar'}, body: upload})
    expect(relative.status).toBe(400)
    expect(((await relative.json()) as {error: {message: string}}).error.message).toMatch(/querystring\/path must match/)
    // Refused whole: not even the harmless file of the refused archive was written.
    expect((await exec(sandbox.id, {cmd: ['ls', '/work']})).find((l) => l.stream === 'stdout')?.text).toBe('src\n')

    const download = await fetch(`${server.url}/v1/sandboxes/${sandbox.id}/files?path=/work/src`, {headers: auth})
    expect(download.status).toBe(200)
    expect(await filesOfTar(Buffer.from(await download.arrayBuffer()))).toEqual({'src/main.txt': 'main\n'})
    expect((await fetch(`${server.url}/v1/sandboxes/${sandbox.id}/files?path=/nowhere`, {headers: auth})).status).toBe(404)
    // A missing path is not a missing sandbox.
    expect(((await (await get(sandbox.id)).json()) as Sandbox).state).toBe('running')

    const touched = await fetch(`${server.url}/v1/sandboxes/${sandbox.id}/touch`, {method: 'POST', headers: json, body: JSON.stringify({ttl: '1h'})})
    const after = (await touched.json()) as Sandbox
    // Clamped to maxTtl (10m): later than the 2m it had, no later than 10m from now.
    expect(Date.parse(after.expiresAt)).toBeGreaterThan(Date.parse(sandbox.expiresAt))
    expect(Date.parse(after.expiresAt)).toBeLessThanOrEqual(Date.now() + 10 * 60_000)

    const removed = await fetch(`${server.url}/v1/sandboxes/${sandbox.id}`, {method: 'DELETE', headers: auth})
    expect(removed.status).toBe(204)
    expect(sandboxContainers(sandbox.id)).toEqual([])
    expect((await get(sandbox.id)).status).toBe(404)
  })

  it('reaps a sandbox when its time-to-live ends, and then refuses to exec in it', async () => {
    const sandbox = await create({image: 'busybox:1.36', ttl: '2s'})
    const deadline = Date.now() + 30_000
    let state = 'running'
    while (state === 'running' && Date.now() < deadline) {
      await sleep(500)
      state = ((await (await get(sandbox.id)).json()) as Sandbox).state
    }
    expect(state).toBe('expired')
    expect(sandboxContainers(sandbox.id)).toEqual([])
    const refused = await fetch(`${server.url}/v1/sandboxes/${sandbox.id}/exec`, {method: 'POST', headers: json, body: JSON.stringify({cmd: ['true']})})
    expect(refused.status).toBe(409)
  })

  it('refuses images the configuration does not list, requests without the token, and sandboxes it does not have', async () => {
    const other = await fetch(`${server.url}/v1/sandboxes`, {method: 'POST', headers: json, body: JSON.stringify({image: 'alpine:3'})})
    expect(other.status).toBe(403)
    expect(((await other.json()) as {error: {code: string}}).error.code).toBe('image_not_allowed')
    expect((await fetch(`${server.url}/v1/sandboxes`, {method: 'POST', headers: {'content-type': 'application/json'}, body: '{"image":"busybox:1.36"}'})).status).toBe(401)
    expect((await get('sb-0000000000000000')).status).toBe(404)
    expect((await get('sb-..%2f..%2fetc')).status).toBe(400)
    // The WebSocket routes check the token on the upgrade request too.
    expect(await upgradeStatus('/v1/sandboxes/sb-0000000000000000/shell', {})).toBe(401)
    expect(await upgradeStatus('/v1/sandboxes/sb-0000000000000000/shell', auth)).toBe(404)
  })
})

describe('a sandbox\'s terminal and ports', () => {
  const terminal = terminalsPerTest()

  it('orca shell --server opens a terminal in the sandbox over a WebSocket and exits with the shell\'s code', async () => {
    const sandbox = await create({image: 'busybox:1.36'})
    const shown = terminal(project.dir, orcaLine(`shell --server ${server.url} ${sandbox.id}`), {ORCA_TOKEN: TOKEN})
    await shown.waitFor(/\/workspace #|# $/m)
    shown.type('echo hi-from-$((6*7)); exit 3')
    shown.key('Enter')
    const screen = await shown.waitFor(/\[exit \d+\]/)
    expect(screen).toMatch(/hi-from-42/)
    expect(screen).toMatch(/\[exit 3\]/)
  })

  it('orca shell with ORCA_SERVER and a sandbox id reaches the server; a refusal is a message and exit 2, and without a terminal it says so', async () => {
    const shown = terminal(project.dir, orcaLine('shell sb-0000000000000000'), {ORCA_TOKEN: TOKEN, ORCA_SERVER: server.url})
    const screen = await shown.waitFor(/\[exit \d+\]/)
    expect(screen).toMatch(/no sandbox "sb-0000000000000000"/)
    expect(screen).toMatch(/\[exit 2\]/)
    const piped = await orca(['shell', '--server', server.url, 'sb-0000000000000000'], {cwd: project.dir, env: {ORCA_TOKEN: TOKEN}})
    expect(piped.code).toBe(2)
    expect(piped.stderr).toMatch(/needs one/)
  })

  it('orca sandbox forward relays a local port to a port of the sandbox', async () => {
    const sandbox = await create({image: 'busybox:1.36'})
    await exec(sandbox.id, {cmd: ['sh', '-c', 'mkdir -p /www && echo served-by-sandbox > /www/index.html && httpd -p 8080 -h /www']})
    const child = spawn(process.execPath, [ORCA_BIN, 'sandbox', 'forward', '--server', server.url, sandbox.id, '8080:0'], {env: {...process.env, ORCA_TOKEN: TOKEN}, stdio: ['ignore', 'pipe', 'pipe']})
    try {
      const local = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString()
          const match = /forwarding (\S+:\d+)/.exec(out)
          if (match) resolve(match[1]!)
        })
        child.once('close', (code) => reject(new Error(`orca sandbox forward exited with ${code}`)))
      })
      const page = await fetch(`http://${local}/index.html`)
      expect(await page.text()).toBe('served-by-sandbox\n')
      // A port nothing listens on is refused before the WebSocket opens.
      expect(await upgradeStatus(`/v1/sandboxes/${sandbox.id}/ports/9`, auth)).toBe(502)
      // A sandbox without a network has no address to connect to.
      const isolated = await create({image: 'busybox:1.36', network: 'none'})
      expect(await upgradeStatus(`/v1/sandboxes/${isolated.id}/ports/8080`, auth)).toBe(409)
    } finally {
      child.kill('SIGINT')
      if (child.exitCode === null) await new Promise((resolve) => child.once('close', resolve))
    }
  })
})

describe('orca sandbox create, ls, exec and rm', () => {
  it('make a sandbox, run a command in it with its output and exit code, list it and remove it', async () => {
    const env = {ORCA_TOKEN: TOKEN}
    const cwd = project.dir
    const made = await orca(['sandbox', 'create', '--server', server.url, '--ttl', '5m', '-e', 'COLOUR=teal', 'busybox:1.36'], {cwd, env})
    expect(made.code, made.stderr).toBe(0)
    const id = made.stdout.trim()
    expect(id).toMatch(/^sb-[0-9a-f]{16}$/)

    const ran = await orca(['sandbox', 'exec', '--server', server.url, id, '--', 'sh', '-c', 'echo "$COLOUR"; echo warn >&2; exit 4'], {cwd, env})
    expect(ran.code).toBe(4)
    expect(ran.stdout).toBe('teal\n')
    expect(ran.stderr).toBe('warn\n')

    const listed = await orca(['sandbox', 'ls'], {cwd, env: {...env, ORCA_SERVER: server.url}})
    expect(listed.code).toBe(0)
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+running\\s+busybox:1\\.36\\s+expires `, 'm'))

    const removed = await orca(['sandbox', 'rm', '--server', server.url, id], {cwd, env})
    expect(removed.code).toBe(0)
    expect(sandboxContainers(id)).toEqual([])
    const again = await orca(['sandbox', 'rm', '--server', server.url, id], {cwd, env})
    expect(again.code).toBe(2)
    expect(again.stderr).toContain(`no sandbox "${id}"`)

    const refused = await orca(['sandbox', 'create', '--server', server.url, 'alpine:3'], {cwd, env})
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/not one the server allows/)
    const noToken = await orca(['sandbox', 'ls', '--server', server.url], {cwd, env: {ORCA_TOKEN: ''}})
    expect(noToken.code).toBe(2)
    expect(noToken.stderr).toMatch(/ORCA_TOKEN/)
  })
})

describe('per-key quotas on sandboxes, and the sandbox.expired webhook', () => {
  const SECRET = 'sandbox-hook-secret-0123456789'
  // Allowed, but its pull fails at once (nothing listens on port 1): a sandbox whose creation fails.
  const UNPULLABLE = '127.0.0.1:1/orca-test/unpullable:never'
  let hook: WebhookReceiver
  let quotaProject: {dir: string; cleanup: () => void}
  let quotaServer: ServeProcess
  // One sandbox per key at once, and one CPU-second an hour: a sandbox of 0.05 CPUs costs 0.05 a second it lives.
  const quotaConfig = (url: string): string => `serve:
  limits:
    concurrency: 1
    cpuSecondsPerHour: 1
  sandboxes:
    images: ["busybox:1.36", "${UNPULLABLE}"]
    memory: 64m
    network: false
  webhooks:
    - url: ${url}
      secret: ${SECRET}
      events: [sandbox.expired]
`

  beforeAll(async () => {
    hook = await startWebhookReceiver([200])
    quotaProject = makeProject({'jobs.yml': 'version: 1\nimage: busybox:1.36\njobs:\n  a:\n    steps: [echo]\n', 'orca.config.yml': quotaConfig(hook.url)})
    quotaServer = await startServe(quotaProject.dir)
  })

  afterAll(async () => {
    quotaServer.child.kill('SIGTERM')
    await quotaServer.exit
    removeProjectResources(quotaProject.dir)
    quotaProject.cleanup()
    await hook.close()
  })

  const keyFor = (name: string): string => KeyStore.forRunsDir(join(quotaProject.dir, '.orca', 'runs')).add(name, ['sandbox']).secret
  const post = (key: string, body: Record<string, unknown>): Promise<Response> =>
    fetch(`${quotaServer.url}/v1/sandboxes`, {method: 'POST', headers: {authorization: `Bearer ${key}`, 'content-type': 'application/json'}, body: JSON.stringify({image: 'busybox:1.36', ...body})})
  const made = async (key: string, body: Record<string, unknown>): Promise<Sandbox> => {
    const response = await post(key, body)
    expect(response.status, await response.clone().text()).toBe(201)
    return (await response.json()) as Sandbox
  }
  const remove = async (key: string, id: string): Promise<void> => {
    expect((await fetch(`${quotaServer.url}/v1/sandboxes/${id}`, {method: 'DELETE', headers: {authorization: `Bearer ${key}`}})).status).toBe(204)
  }
  const refusal = async (response: Response): Promise<{status: number; retryAfter: number; code: string}> => ({
    status: response.status,
    retryAfter: Number(response.headers.get('retry-after')),
    code: ((await response.json()) as {error: {code: string}}).error.code,
  })

  it('a key at its concurrency cap gets 429 and Retry-After (until its sandbox expires); after a failed creation, a DELETE, and after a restart that counts its live sandbox again, it gets what it asks', async () => {
    const key = keyFor('capped')
    // A creation that fails gives its slot back.
    expect((await post(key, {image: UNPULLABLE})).status).toBeGreaterThanOrEqual(500)
    const first = await made(key, {ttl: '5m', limits: {cpus: 0.05}})
    // Whose quota it counts against is not shown to other clients.
    expect(first).not.toHaveProperty('owner')
    const refused = await refusal(await post(key, {limits: {cpus: 0.05}}))
    expect(refused).toMatchObject({status: 429, code: 'too_many_concurrent'})
    // A slot frees when the key's sandbox expires (5 minutes), if it is not deleted before.
    expect(refused.retryAfter).toBeGreaterThan(240)
    expect(refused.retryAfter).toBeLessThanOrEqual(300)
    // Another key is counted apart.
    const other = keyFor('other')
    await remove(other, (await made(other, {limits: {cpus: 0.05}})).id)

    await remove(key, first.id)
    const second = await made(key, {ttl: '5m', limits: {cpus: 0.05}})
    // A restarted server charges the sandboxes it finds recorded to their keys again.
    quotaServer.child.kill('SIGTERM')
    await quotaServer.exit
    quotaServer = await startServe(quotaProject.dir)
    expect((await refusal(await post(key, {limits: {cpus: 0.05}}))).code).toBe('too_many_concurrent')
    await remove(key, second.id)
    await remove(key, (await made(key, {limits: {cpus: 0.05}})).id)
  })

  it('refuses a key whose CPU-seconds of the hour are used (a sandbox charges its CPUs times its lifetime), saying when to come back', async () => {
    const key = keyFor('hungry')
    const sandbox = await made(key, {limits: {cpus: 1}})
    await sleep(1100)
    await remove(key, sandbox.id)
    const refused = await refusal(await post(key, {limits: {cpus: 0.05}}))
    expect(refused).toMatchObject({status: 429, code: 'cpu_quota_exceeded'})
    // The charge ages out an hour after it was made.
    expect(refused.retryAfter).toBeGreaterThan(3500)
    expect(refused.retryAfter).toBeLessThanOrEqual(3600)
  })

  it('an expired sandbox, and one whose container vanished, free their keys\' slots; a signed sandbox.expired reaches the webhook with the expired one\'s id', async () => {
    const key = keyFor('expiring')
    const sandbox = await made(key, {ttl: '2s', limits: {cpus: 0.05}})
    const vanishingKey = keyFor('vanishing')
    const vanishing = await made(vanishingKey, {limits: {cpus: 0.05}})
    execFileSync('docker', ['rm', '-f', vanishing.containerId], {stdio: 'ignore'})
    const stateOf = async (id: string): Promise<string> => ((await (await fetch(`${quotaServer.url}/v1/sandboxes/${id}`, {headers: {authorization: `Bearer ${vanishingKey}`}})).json()) as Sandbox).state
    const deadline = Date.now() + 30_000
    while ((!hook.received.some((delivery) => delivery.body.includes(sandbox.id)) || (await stateOf(vanishing.id)) !== 'gone') && Date.now() < deadline) await sleep(250)
    const delivery = hook.received.find((d) => d.body.includes(sandbox.id))
    expect(delivery, 'no sandbox.expired delivery').toBeDefined()
    expect(delivery!.headers['orca-event']).toBe('sandbox.expired')
    expect(verifySignature(delivery!.headers['orca-signature'] as string, delivery!.body, SECRET)).toBe(true)
    expect(JSON.parse(delivery!.body)).toMatchObject({type: 'sandbox.expired', data: {sandboxId: sandbox.id, image: 'busybox:1.36', url: `/v1/sandboxes/${sandbox.id}`}})
    expect(sandboxContainers(sandbox.id)).toEqual([])
    // Only expiry is announced: the vanished sandbox is recorded gone, with no delivery.
    expect(await stateOf(vanishing.id)).toBe('gone')
    expect(hook.received.filter((d) => d.body.includes(vanishing.id))).toEqual([])
    await remove(key, (await made(key, {limits: {cpus: 0.05}})).id)
    await remove(vanishingKey, (await made(vanishingKey, {limits: {cpus: 0.05}})).id)
  })
})
