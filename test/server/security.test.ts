import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {GROUPS_YML, postJson, raw, seedRun, serversPerTest, type TestServer} from './server-helpers.js'

const serve = serversPerTest()
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, {recursive: true, force: true})
})

const TOKEN = 'correct-horse-battery-staple'
const RUN = '20260101T000000000Z-abcdef'
const sha = (text: string): string => createHash('sha256').update(text).digest('hex')

describe('authentication and Host', () => {
  it('requires the bearer token on every route when set, but not on /healthz', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML}, {token: TOKEN})
    const attempts: Array<Record<string, string>> = [{}, {authorization: 'Bearer wrong'}, {authorization: TOKEN}, {authorization: `Basic ${TOKEN}`}]
    for (const headers of attempts) {
      const res = await raw(s.url, '/v1/runs', {headers})
      expect(res.status).toBe(401)
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/)
      expect(res.json()).toEqual({error: {code: 'unauthorized', message: expect.any(String)}})
    }
    expect((await raw(s.url, '/v1/openapi.json')).status).toBe(401)
    expect((await postJson(s.url, '/v1/runs', {})).status).toBe(401)
    expect((await raw(s.url, '/v1/runs', {headers: {authorization: `Bearer ${TOKEN}`}})).status).toBe(200)
    expect((await raw(s.url, '/healthz')).status).toBe(200)
  })

  it('never hands the server\'s token to a job that lists ORCA_TOKEN as a secret', async () => {
    const yml = 'version: 1\nimage: busybox:1.36\njobs:\n  leak:\n    secrets: [ORCA_TOKEN]\n    steps: [env]\n'
    const s = await serve({'jobs.yml': yml}, {token: TOKEN, env: {ORCA_TOKEN: TOKEN}})
    const res = await postJson(s.url, '/v1/runs', {}, {authorization: `Bearer ${TOKEN}`})
    expect(res.status).toBe(422)
    expect(res.json().error).toMatchObject({code: 'invalid_run_request', message: expect.stringContaining('ORCA_TOKEN')})
    expect(res.text).not.toContain(TOKEN)
  })

  it('refuses a Host header that is not an address of the server (DNS rebinding)', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML})
    for (const host of ['evil.example', `evil.example:${s.port}`, `127.0.0.1:${s.port + 1}`, 'localhost']) {
      const res = await raw(s.url, '/v1/runs', {headers: {host}})
      expect(res.status, host).toBe(403)
      expect(res.json().error.code).toBe('forbidden_host')
    }
    for (const host of [`localhost:${s.port}`, `127.0.0.1:${s.port}`, `[::1]:${s.port}`, `LOCALHOST:${s.port}`]) {
      expect((await raw(s.url, '/v1/runs', {headers: {host}})).status, host).toBe(200)
    }
  })
})

describe('request bodies', () => {
  it('takes JSON only (415), up to the size cap (413), and says what is wrong with a bad one (400)', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML}, {bodyLimit: 1024})
    const text = await raw(s.url, '/v1/runs', {method: 'POST', headers: {'content-type': 'text/plain'}, body: '{}'})
    expect(text.status).toBe(415)
    expect(text.json().error.code).toBe('unsupported_media_type')
    const form = await raw(s.url, '/v1/runs', {method: 'POST', headers: {'content-type': 'application/x-www-form-urlencoded'}, body: 'a=b'})
    expect(form.status).toBe(415)
    const big = await postJson(s.url, '/v1/runs', {targets: Array(300).fill('a-long-target-name')})
    expect(big.status).toBe(413)
    expect(big.json().error.code).toBe('payload_too_large')
    const broken = await raw(s.url, '/v1/runs', {method: 'POST', headers: {'content-type': 'application/json'}, body: '{"targets": ['})
    expect(broken.status).toBe(400)
    expect(broken.json().error.code).toBe('invalid_json')
    const typo = await postJson(s.url, '/v1/runs', {target: ['a']})
    expect(typo.status).toBe(400)
    expect(typo.json().error).toEqual({code: 'invalid_request', message: expect.stringContaining('additional properties')})
    const wrongType = await postJson(s.url, '/v1/runs', {noCache: 'maybe'})
    expect(wrongType.status).toBe(400)
    // None of these started a run.
    expect((await raw(s.url, '/v1/runs')).json().runs).toEqual([])
    expect((await raw(s.url, '/healthz')).status).toBe(200)
  })

  it('reports an invalid pipeline as 422 with positioned diagnostics, an unknown target as 422', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML, 'bad.yml': 'version: 1\njobs:\n  x:\n    timeout: ten\n    steps: [true]\n', 'orca.config.yml': 'serve: {pipelines: [jobs.yml, bad.yml, missing.yml]}\n'})
    const bad = await postJson(s.url, '/v1/runs', {file: 'bad.yml'})
    expect(bad.status).toBe(422)
    expect(bad.json().error.code).toBe('invalid_pipeline')
    expect(bad.json().error.diagnostics).toContainEqual(expect.objectContaining({file: 'bad.yml', line: 4, path: 'jobs.x.timeout'}))
    // Positions and keys, never the file's values.
    expect(bad.text).not.toContain('ten')
    const unknown = await postJson(s.url, '/v1/runs', {targets: ['nope']})
    expect(unknown.status).toBe(422)
    expect(unknown.json().error.code).toBe('invalid_run_request')
    // An allowed file that is missing is the operator's mistake, reported as such.
    expect((await postJson(s.url, '/v1/runs', {file: 'missing.yml'})).status).toBe(422)
  })

  it('takes only the pipeline files the configuration allows, and only from inside the served project', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'orca-outside-'))
    dirs.push(outside)
    writeFileSync(join(outside, 'jobs.yml'), GROUPS_YML)
    const s = await serve({'jobs.yml': GROUPS_YML, 'orca.config.yml': 'serve: {pipelines: [jobs.yml, linked.yml]}\n'})
    symlinkSync(join(outside, 'jobs.yml'), join(s.dir, 'linked.yml'))
    for (const file of ['../jobs.yml', join(outside, 'jobs.yml'), 'sub/../../jobs.yml', '.', 'orca.config.yml']) {
      const res = await postJson(s.url, '/v1/runs', {file})
      expect(res.status, file).toBe(403)
      expect(res.json().error.code).toBe('pipeline_not_allowed')
    }
    const linked = await postJson(s.url, '/v1/runs', {file: 'linked.yml'})
    expect(linked.status).toBe(400)
    expect(linked.json().error.code).toBe('file_outside_project')
    expect((await raw(s.url, '/v1/runs')).json().runs).toEqual([])
  })
})

describe('artifacts', () => {
  async function seeded(): Promise<TestServer> {
    const s = await serve({'jobs.yml': GROUPS_YML})
    const secret = mkdtempSync(join(tmpdir(), 'orca-secret-'))
    dirs.push(secret)
    writeFileSync(join(secret, 'passwd'), 'root:x:0:0\n')
    seedRun(s.runsDir, RUN, {
      build: {
        artifacts: [
          {path: 'out/report.txt', size: 6, sha256: sha('hello\n')},
          {path: 'link.txt', size: 11, sha256: sha('root:x:0:0\n')},
          {path: 'dirlink/passwd', size: 11, sha256: sha('root:x:0:0\n')},
        ],
      },
    })
    const artifacts = join(s.runsDir, RUN, 'artifacts', 'build')
    mkdirSync(join(artifacts, 'out'), {recursive: true})
    writeFileSync(join(artifacts, 'out/report.txt'), 'hello\n')
    writeFileSync(join(artifacts, 'out/unlisted.txt'), 'not an artifact\n')
    symlinkSync(join(secret, 'passwd'), join(artifacts, 'link.txt'))
    symlinkSync(secret, join(artifacts, 'dirlink'))
    return s
  }

  it('lists the recorded artifacts and streams one with its type and length', async () => {
    const s = await seeded()
    const list = (await raw(s.url, `/v1/runs/${RUN}/artifacts`)).json() as {artifacts: Array<{path: string; url: string}>}
    const report = list.artifacts.find((a) => a.path === 'out/report.txt')!
    expect(report).toEqual({job: 'build', path: 'out/report.txt', size: 6, sha256: sha('hello\n'), mode: 0o644, url: `/v1/runs/${RUN}/artifacts/build/out/report.txt`})
    const file = await raw(s.url, report.url)
    expect(file.status).toBe(200)
    expect(file.text).toBe('hello\n')
    expect(file.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(file.headers['content-length']).toBe('6')
    expect(file.headers['content-disposition']).toContain('report.txt')
    // An encoded slash names the same file.
    expect((await raw(s.url, `/v1/runs/${RUN}/artifacts/build/out%2Freport.txt`)).text).toBe('hello\n')
  })

  it('refuses paths that climb out of the run and never follows symlinks', async () => {
    const s = await seeded()
    for (const path of ['..%2f..%2f..%2frun.json', 'out/..%2f..%2f..%2frun.json', '%2e%2e/%2e%2e/run.json', 'out/.%2Freport.txt', 'out//report.txt']) {
      const res = await raw(s.url, `/v1/runs/${RUN}/artifacts/build/${path}`)
      expect(res.status, path).toBe(400)
      expect(res.json().error.code).toBe('invalid_path')
    }
    // Listed, but only reachable through a link: never served (gone, since the cache does not hold it either).
    for (const path of ['link.txt', 'dirlink/passwd']) {
      const res = await raw(s.url, `/v1/runs/${RUN}/artifacts/build/${path}`)
      expect(res.status, path).toBe(410)
      expect(res.text).not.toContain('root:x')
    }
    for (const path of ['out/unlisted.txt', 'out']) {
      const res = await raw(s.url, `/v1/runs/${RUN}/artifacts/build/${path}`)
      expect(res.status, path).toBe(404)
      expect(res.text).not.toContain('root:x')
    }
    expect((await raw(s.url, `/v1/runs/${RUN}/artifacts/..%2f${RUN}/out/report.txt`)).status).toBe(404)
    expect((await raw(s.url, `/v1/runs/..%2f..%2fetc/artifacts`)).status).toBe(404)
  })
})

describe('errors', () => {
  it('answers unknown runs, routes and methods with the JSON error shape', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML})
    for (const [method, path, status] of [
      ['GET', '/v1/runs/20990101T000000000Z-000000', 404],
      ['GET', '/v1/runs/nope/events', 404],
      ['GET', '/v1/runs/latest', 404],
      ['GET', '/v2/anything', 404],
      ['DELETE', '/v1/runs', 404],
      ['POST', '/v1/runs/20990101T000000000Z-000000/cancel', 404],
      ['GET', '/v1/runs?limit=0', 400],
      ['GET', '/v1/runs?limit=abc', 400],
    ] as const) {
      const res = await raw(s.url, path, {method})
      expect(res.status, `${method} ${path}`).toBe(status)
      expect(res.headers['content-type']).toMatch(/^application\/json/)
      expect(res.json()).toEqual({error: {code: expect.any(String), message: expect.any(String)}})
    }
  })
})
