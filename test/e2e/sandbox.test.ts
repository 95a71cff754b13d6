import {spawn} from 'node:child_process'
import {setTimeout as sleep} from 'node:timers/promises'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {WebSocket} from 'ws'

import {makeProject, orca, ORCA_BIN, removeProjectResources} from './cli.js'
import {execLines, filesOfTar, sandboxContainers, tarOf} from './sandbox-helpers.js'
import {startServe, type ServeProcess} from './serve-process.js'
import {orcaLine, terminalsPerTest} from '../helpers/tmux.js'

const TOKEN = 'sandbox-test-token-0123456789'
const auth = {authorization: `Bearer ${TOKEN}`}
const json = {...auth, 'content-type': 'application/json'}

const CONFIG = `serve:
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
