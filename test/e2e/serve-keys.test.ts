import {realpathSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {containers, orca, projectsPerTest} from './cli.js'
import {startServe} from './serve-process.js'

const project = projectsPerTest()

const CONFIG = `serve:
  execute:
    images: [busybox:1.36]
    maxTimeout: 10s
    maxMemory: 64m
    maxPids: 32
    maxOutputBytes: 64k
  limits:
    requestsPerMinute: 40
    concurrency: 1
`
const JOBS = 'version: 1\nimage: busybox:1.36\njobs:\n  a: {}\n'

async function addKey(dir: string, name: string, ...scopes: string[]): Promise<string> {
  const added = await orca(['serve', 'keys', 'add', name, ...scopes.flatMap((s) => ['--scope', s])], {cwd: dir})
  expect(added.code, added.stderr).toBe(0)
  return added.stdout.trim()
}

const call = (url: string, key: string, path: string, body?: unknown): Promise<Response> =>
  fetch(`${url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {authorization: `Bearer ${key}`, ...(body === undefined ? {} : {'content-type': 'application/json'})},
    body: body === undefined ? undefined : JSON.stringify(body),
  })

describe('orca serve with API keys, POST /v1/execute and abuse limits', () => {
  it('creates, lists and revokes keys; the server refuses a revoked key and a missing scope at once', async () => {
    const dir = project({'jobs.yml': JOBS})
    const reader = await addKey(dir, 'reader', 'read')
    expect(reader).toMatch(/^orca_[0-9a-f]{12}_\S{32}$/)
    const runner = await addKey(dir, 'runner', 'run', 'read')
    const server = await startServe(dir)
    try {
      expect((await fetch(`${server.url}/v1/runs`)).status).toBe(401)
      expect((await call(server.url, reader, '/v1/runs')).status).toBe(200)
      const refused = await call(server.url, reader, '/v1/execute', {image: 'busybox:1.36', snippet: 'true'})
      expect(refused.status).toBe(403)
      expect(((await refused.json()) as {error: {code: string}}).error.code).toBe('insufficient_scope')

      const listed = await orca(['serve', 'keys', 'ls'], {cwd: dir})
      expect(listed.stdout).toMatch(/reader\s+read\s+active/)
      expect(listed.stdout).toMatch(/runner\s+read,run\s+active/)
      expect(listed.stdout).not.toContain(reader.slice(18))

      const revoked = await orca(['serve', 'keys', 'revoke', 'reader'], {cwd: dir})
      expect(revoked.code).toBe(0)
      const after = await call(server.url, reader, '/v1/runs')
      expect(after.status).toBe(401)
      expect((await orca(['serve', 'keys', 'ls', '--json'], {cwd: dir})).stdout).toContain('"revoked"')
      expect((await call(server.url, runner, '/v1/runs')).status).toBe(200)
    } finally {
      server.child.kill('SIGTERM')
      await server.exit
    }
    // Bad input: exit 2 with a sentence, no stack.
    const bad = await orca(['serve', 'keys', 'add', 'x', '--scope', 'read', '--expires', 'soon'], {cwd: dir})
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--expires: expected a duration')
    expect(bad.stderr).not.toMatch(/at .*\.js:\d+/)
  })

  it('executes with each limit hit and reports it, refuses what is over a cap, and answers 429 with Retry-After', {timeout: 120_000}, async () => {
    const dir = project({'jobs.yml': JOBS, 'orca.config.yml': CONFIG})
    const key = await addKey(dir, 'ci', 'run')
    const server = await startServe(dir)
    const execute = async (body: Record<string, unknown>) => {
      const res = await call(server.url, key, '/v1/execute', {image: 'busybox:1.36', ...body})
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return {status: res.status, headers: res.headers, json: (await res.json()) as any}
    }
    try {
      const ok = await execute({
        command: ['sh', '-c', 'cat in.txt; wc -c < in.txt > out/n.txt'],
        files: [{path: 'in.txt', content: Buffer.from('hi there\n').toString('base64')}, {path: 'out/.keep', content: ''}],
        collect: ['out/n.txt'],
      })
      expect(ok.status).toBe(200)
      expect(ok.json).toMatchObject({exitCode: 0, stdout: 'hi there\n', stderr: '', limit: null, files: [{path: 'out/n.txt', size: 2, content: Buffer.from('9\n').toString('base64')}]})

      const timeout = await execute({snippet: 'sleep 20', limits: {timeoutMs: 500}})
      expect(timeout.json).toMatchObject({limit: 'timeout', exitCode: null})
      const memory = await execute({snippet: 'head -c 200m /dev/zero | tail >/dev/null'})
      expect(memory.json.limit).toBe('memory')
      const output = await execute({snippet: 'yes', limits: {outputBytes: 1000}})
      expect(output.json).toMatchObject({limit: 'output', exitCode: null})
      expect(output.json.stdout).toHaveLength(1000)
      const pids = await execute({snippet: 'for i in $(seq 60); do sleep 1 & done; wait'})
      expect(pids.json.limit).toBe('pids')

      const over = await execute({snippet: 'true', limits: {timeoutMs: 60_000}})
      expect(over.status).toBe(422)
      expect(over.json.error.message).toBe("limits.timeoutMs 60000 is over the server's cap of 10000")
      const image = await execute({image: 'alpine:3.20', snippet: 'true'})
      expect(image.status).toBe(403)
      expect(image.json.error.code).toBe('image_not_allowed')

      // One execution at once per key: a second one while the first runs is a 429.
      const slow = execute({snippet: 'sleep 3'})
      await new Promise((resolve) => setTimeout(resolve, 1000))
      const second = await execute({snippet: 'true'})
      expect(second.status).toBe(429)
      expect(second.json.error.code).toBe('too_many_concurrent')
      expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0)
      expect((await slow).status).toBe(200)

      // 40 requests a minute per key.
      let limited: Response | undefined
      for (let i = 0; i < 45 && limited === undefined; i++) {
        // Bad requests count as well: the limit is decided before the body is read.
        const res = await call(server.url, key, '/v1/execute', {})
        if (res.status === 429) limited = res
      }
      expect(limited?.status).toBe(429)
      expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(((await limited!.json()) as {error: {code: string}}).error.code).toBe('rate_limited')
      // Liveness is never limited.
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    } finally {
      server.child.kill('SIGTERM')
      await server.exit
    }
  })

  it('leaves an execution of a killed server to orca clean --leaks, which removes it, and only while its owner is dead', {timeout: 60_000}, async () => {
    const dir = project({'jobs.yml': JOBS, 'orca.config.yml': CONFIG})
    const server = await startServe(dir)
    const running = fetch(`${server.url}/v1/execute`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({image: 'busybox:1.36', snippet: 'sleep 8'})}).catch(() => undefined)
    let ids: string[] = []
    for (let i = 0; i < 100 && ids.length === 0; i++) {
      ids = containers('orca.job=execute').filter((id) => containers(`orca.project-dir=${realpathSync(dir)}`).includes(id))
      if (ids.length === 0) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(ids).toHaveLength(1)
    // While its server lives, the execution is not a leak.
    expect((await orca(['clean', '--leaks', '--dry-run'], {cwd: dir})).stdout).not.toContain('orca-execute-')
    server.child.kill('SIGKILL')
    await server.exit
    await running
    const cleaned = await orca(['clean', '--leaks'], {cwd: dir})
    expect(cleaned.code, cleaned.stderr).toBe(0)
    expect(cleaned.stdout).toContain('orca-execute-')
    expect(containers(`orca.project-dir=${realpathSync(dir)}`)).toEqual([])
  })
})
