import {execFile, spawn, type ChildProcess} from 'node:child_process'
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {basename, join} from 'node:path'
import {promisify} from 'node:util'

import {afterEach, describe, expect, it} from 'vitest'

import {containers, makeProject, ORCA_BIN, orca, readJson, removeRunContainers, runDirs} from './cli.js'

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

interface Served {
  child: ChildProcess
  url: string
  exit: Promise<{code: number | null; stderr: string}>
}

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

/** Starts the built `orca serve --port 0` and resolves with the URL it prints. */
function serve(dir: string, args: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, [ORCA_BIN, 'serve', '--port', '0', ...args], {cwd: dir, env: {...process.env, ORCA_TOKEN: ''}, stdio: ['ignore', 'pipe', 'pipe']})
  children.push(child)
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const exit = new Promise<{code: number | null; stderr: string}>((resolve) => child.on('close', (code) => resolve({code, stderr})))
  return new Promise((resolve, reject) => {
    let stdout = ''
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString()
      const url = /listening on (http:\/\/\S+)/.exec(stdout)?.[1]
      if (url) resolve({child, url, exit})
    })
    void exit.then(({code}) => reject(new Error(`orca serve exited with ${code}: ${stderr}`)))
  })
}

const curl = async (args: string[]): Promise<string> => (await exec('curl', ['-sS', '--max-time', '60', ...args], {maxBuffer: 16 * 1024 * 1024})).stdout

function sseEvents(text: string): Array<{id: string; event: Record<string, unknown>}> {
  return text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
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

    const stream = sseEvents(await curl(['-N', `${server.url}${created.eventsUrl}`]))
    expect(stream.map((m) => Number(m.id))).toEqual(stream.map((_, i) => i + 1))
    expect(stream.map((m) => m.event.type)).toEqual(expect.arrayContaining(['run.started', 'job.container', 'step.output', 'job.artifacts', 'run.finished']))
    expect(stream.at(-1)!.event).toMatchObject({type: 'run.finished', status: 'succeeded'})

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
    expect(containers(`orca.run=${created.id}`)).toEqual([])
  })

  it('refuses a non-loopback address without a token (exit 2)', async () => {
    const dir = project()
    const result = await orca(['serve', '--host', '0.0.0.0', '--port', '0'], {cwd: dir, env: {ORCA_TOKEN: ''}})
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('without a token')
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })
})
