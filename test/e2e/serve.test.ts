import {execFile, type ChildProcess} from 'node:child_process'
import {createHash} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {basename, join} from 'node:path'
import {promisify} from 'node:util'

import {afterEach, describe, expect, it} from 'vitest'

import {rawSocket} from '../helpers/raw-socket.js'
import {containers, containersLeft, makeProject, orca, readJson, removeRunContainers, runDirs} from './cli.js'
import {startServe, type ServeProcess} from './serve-process.js'

const exec = promisify(execFile)

const PIPELINE = `version: 1
image: busybox:1.36
jobs:
  build:
    network: none
    steps:
      - name: report
        run: mkdir -p out && printf 'hello from serve\\n' > out/report.txt && echo built
    artifacts: ["out/**"]
  slow:
    network: none
    steps: ["echo started; sleep 60"]
`

const projects: Array<{dir: string; cleanup: () => void}> = []
const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
  for (const p of projects.splice(0)) {
    for (const run of runDirs(p.dir)) removeRunContainers(basename(run))
    p.cleanup()
  }
})

function project(): string {
  const p = makeProject({'jobs.yml': PIPELINE})
  projects.push(p)
  return p.dir
}

async function serve(dir: string, args: string[] = []): Promise<ServeProcess> {
  const server = await startServe(dir, args)
  children.push(server.child)
  return server
}

const curl = async (args: string[]): Promise<string> => (await exec('curl', ['-sS', '--max-time', '60', ...args], {maxBuffer: 16 * 1024 * 1024})).stdout

function sseEvents(text: string): Array<{id: string; event: Record<string, unknown>}> {
  return text
    .split('\n\n')
    .filter((block) => block.includes('data: ') && !block.includes('event: end'))
    .map((block) => ({
      id: /^id: (.*)$/m.exec(block)![1]!,
      event: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as Record<string, unknown>,
    }))
}

describe('orca serve (built CLI, real engine, curl)', () => {
  it('runs a job over HTTP: SSE stream to the end, log, artifact download; runs of orca run show up too', async () => {
    const dir = project()
    const server = await serve(dir)
    const created = JSON.parse(await curl(['-X', 'POST', '-H', 'content-type: application/json', '-d', '{"targets":["build"]}', `${server.url}/v1/runs`]))
    expect(created.state).toBe('running')

    const text = await curl(['-N', `${server.url}${created.eventsUrl}`])
    const stream = sseEvents(text)
    expect(stream.map((m) => Number(m.id))).toEqual(stream.map((_, i) => i + 1))
    expect(stream.map((m) => m.event.type)).toEqual(expect.arrayContaining(['run.started', 'job.container', 'step.output', 'job.artifacts', 'run.finished']))
    expect(stream.at(-1)!.event).toMatchObject({type: 'run.finished', status: 'succeeded'})
    expect(text.trimEnd().split('\n\n').at(-1)).toBe(`event: end\ndata: ${JSON.stringify({runId: created.id, status: 'succeeded', lastSeq: stream.length})}`)
    // Resuming the finished run at its end: 204 at once, which tells EventSource not to reconnect.
    const resumed = await curl(['-o', '/dev/null', '-w', '%{http_code}', '-H', `Last-Event-ID: ${stream.length}`, `${server.url}${created.eventsUrl}`])
    expect(resumed).toBe('204')

    const record = JSON.parse(await curl([`${server.url}/v1/runs/${created.id}`]))
    expect(record).toEqual(readJson(join(dir, '.orca/runs', created.id, 'run.json')))
    expect(await curl([`${server.url}/v1/runs/${created.id}/logs/build`])).toContain('built\n')

    const {artifacts} = JSON.parse(await curl([`${server.url}/v1/runs/${created.id}/artifacts`]))
    expect(artifacts).toEqual([expect.objectContaining({job: 'build', path: 'out/report.txt'})])
    const downloaded = join(dir, 'downloaded.txt')
    await curl(['-f', '-o', downloaded, `${server.url}${artifacts[0].url}`])
    expect(readFileSync(downloaded, 'utf8')).toBe('hello from serve\n')
    expect(createHash('sha256').update(readFileSync(downloaded)).digest('hex')).toBe(artifacts[0].sha256)

    // The same run store: a run of `orca run` in the project is listed by the server.
    const cli = await orca(['run', 'build', '--output', 'plain'], {cwd: dir})
    expect(cli.code).toBe(0)
    const list = JSON.parse(await curl([`${server.url}/v1/runs`]))
    expect(list.runs).toHaveLength(2)
    expect(list.runs[1].id).toBe(created.id)
    expect(list.runs[0].pid).not.toBe(list.runs[1].pid)

    server.child.kill('SIGTERM')
    expect((await server.exit).code).toBe(0)
  })

  it('on SIGTERM mid-run cancels the run, records it, removes its container and exits 0', async () => {
    const dir = project()
    const server = await serve(dir)
    const created = JSON.parse(await curl(['-X', 'POST', '-H', 'content-type: application/json', '-d', '{"targets":["slow"]}', `${server.url}/v1/runs`]))
    // Wait until the step prints, i.e. the container is running.
    const res = await fetch(`${server.url}${created.eventsUrl}`)
    const reader = res.body!.getReader()
    let seen = ''
    while (!seen.includes('started\\n')) seen += new TextDecoder().decode((await reader.read()).value)
    expect(containers(`orca.run=${created.id}`)).toHaveLength(1)

    server.child.kill('SIGTERM')
    // The open stream still gets the end of the run.
    while (!seen.includes('"run.finished"')) {
      const {value, done} = await reader.read()
      if (done) break
      seen += new TextDecoder().decode(value)
    }
    expect(seen).toContain('"status":"cancelled"')
    const {code, stderr} = await server.exit
    expect(code).toBe(0)
    expect(stderr).toContain('shutting down')
    expect(readJson(join(dir, '.orca/runs', created.id, 'run.json'))).toMatchObject({status: 'cancelled', jobs: {slow: {status: 'cancelled'}}})
    expect(await containersLeft(`orca.run=${created.id}`)).toEqual([])
  })

  it('with a token, answers only /healthz without it, however a path is spelled (raw sockets)', async () => {
    const dir = project()
    const token = 'e2e-token-0123456789abcdef'
    const server = await serve(dir, ['--token', token])
    const port = Number(new URL(server.url).port)
    const targets = ['/v1/runs', '/%761/runs', '/v1/%72uns', '/v1/runs%2flatest', `http://127.0.0.1:${port}/v1/runs`, '/V1/runs', '/v1/runs/', '/v1/runs;x', '//v1/runs', '/nope']
    for (const target of targets) {
      const res = await rawSocket(port, target)
      expect(res.status, target).toBe(401)
      expect(res.body).toContain('"unauthorized"')
    }
    const post = await rawSocket(port, '/%761/runs', {method: 'POST'})
    expect(post.status).toBe(401)
    expect(runDirs(dir)).toEqual([])
    expect((await rawSocket(port, '/healthz')).status).toBe(200)
    // The same spellings with the token reach the routes the router decodes them to.
    expect((await rawSocket(port, '/%761/runs', {headers: {authorization: `Bearer ${token}`}})).status).toBe(200)
    expect((await rawSocket(port, '/nope', {headers: {authorization: `Bearer ${token}`}})).status).toBe(404)
    server.child.kill('SIGTERM')
    expect((await server.exit).code).toBe(0)
  })

  it('runs only the pipeline files serve.pipelines allows and never echoes a file', async () => {
    const secret = 'e2e-secret-value-42'
    const dir = project()
    writeFileSync(join(dir, '.env'), `API_TOKEN=${secret}\n`)
    writeFileSync(join(dir, 'broken.yml'), `version: 1\njobs:\n  a:\n    image: busybox:1.36\n    timeout: ${secret}\n    steps: [echo]\n`)
    writeFileSync(join(dir, 'orca.config.yml'), 'serve:\n  pipelines: [jobs.yml, broken.yml]\n')
    const server = await serve(dir)
    const post = async (file: string): Promise<{status: string; body: string}> => {
      const out = await curl(['-w', '\n%{http_code}', '-X', 'POST', '-H', 'content-type: application/json', '-d', JSON.stringify({file}), `${server.url}/v1/runs`])
      const at = out.lastIndexOf('\n')
      return {body: out.slice(0, at), status: out.slice(at + 1)}
    }
    for (const file of ['.env', '.env.missing', 'orca.config.yml', '../jobs.yml']) {
      const res = await post(file)
      expect(res.status, file).toBe('403')
      expect(JSON.parse(res.body).error.code).toBe('pipeline_not_allowed')
      expect(res.body).not.toContain(secret)
    }
    const broken = await post('broken.yml')
    expect(broken.status).toBe('422')
    expect(JSON.parse(broken.body).error.diagnostics).toEqual([{file: 'broken.yml', line: 5, column: 14, path: 'jobs.a.timeout', message: 'expected a duration like "10m"'}])
    expect(broken.body).not.toContain(secret)
    expect(runDirs(dir)).toEqual([])
    server.child.kill('SIGTERM')
    expect((await server.exit).code).toBe(0)
  })

  it('treats prototype-named job names, params and body keys as data', async () => {
    const dir = project()
    writeFileSync(join(dir, 'jobs.yml'), 'version: 1\nimage: busybox:1.36\njobs:\n  a: {}\n  constructor:\n    needs: [a]\n')
    const server = await serve(dir)
    const post = (body: string): Promise<Response> => fetch(`${server.url}/v1/runs`, {method: 'POST', headers: {'content-type': 'application/json'}, body})
    const created = await post('{"targets": ["constructor"], "env": {"constructor": "c", "toString": "t", "hasOwnProperty": "h", "prototype": "p"}}')
    expect(created.status).toBe(202)
    const {id} = (await created.json()) as {id: string}
    await curl(['-N', `${server.url}/v1/runs/${id}/events`])
    const record = JSON.parse(await curl([`${server.url}/v1/runs/${id}`]))
    expect(record.status).toBe('succeeded')
    expect(record.jobs.constructor).toMatchObject({status: 'succeeded', steps: [], artifacts: null})
    expect(Object.keys(record.jobs)).toEqual(['a', 'constructor'])
    for (const body of ['{"__proto__": {"targets": ["a"]}}', '{"constructor": {"prototype": {"x": 1}}}', '{"env": {"__proto__": "x"}}', '{"toString": "x"}', '{"targets": ["__proto__"]}']) {
      const res = await post(body)
      expect(res.status, body).toBe(400)
    }
    const status = async (path: string): Promise<number> => (await fetch(`${server.url}${path}`)).status
    expect(await status(`/v1/runs/${id}/logs/constructor`)).toBe(200)
    for (const name of ['__proto__', 'toString', 'hasOwnProperty', 'prototype', 'valueOf']) {
      expect(await status(`/v1/runs/${id}/logs/${name}`), name).toBe(404)
      expect(await status(`/v1/runs/${id}/artifacts/${name}/x`), name).toBe(404)
      expect(await status(`/v1/runs/${name}`), name).toBe(404)
      expect(await status(`/v1/runs/${name}/events`), name).toBe(404)
    }
    expect(await status(`/v1/runs/${id}/artifacts/constructor/x`)).toBe(404)
    expect(await status('/healthz')).toBe(200)
    server.child.kill('SIGTERM')
    expect((await server.exit).code).toBe(0)
  })

  it('refuses a non-loopback address without a token (exit 2)', async () => {
    const dir = project()
    const result = await orca(['serve', '--host', '0.0.0.0', '--port', '0'], {cwd: dir, env: {ORCA_TOKEN: ''}})
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('without a token')
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })
})
