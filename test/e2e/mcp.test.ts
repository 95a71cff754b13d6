import {createHash} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import type {CallToolResult} from '@modelcontextprotocol/sdk/types.js'
import {afterEach, describe, expect, it} from 'vitest'

import type {JobExplanation} from '../../src/mcp/explanation.js'
import type {RunSummary} from '../../src/mcp/run-summary.js'
import type {TextWindow} from '../../src/mcp/text-window.js'
import {containers, containersLeft, orca, projectsPerTest, readJson} from './cli.js'
import {startMcp, type McpProcess} from './mcp-process.js'

const SECRET = 'tok-5e6f7a8b9c0d'

const PIPELINE = `version: 1
image: busybox:1.36
jobs:
  build:
    network: none
    secrets: [API_TOKEN]
    inputs: ["src/**"]
    steps:
      - name: report
        run: mkdir -p out && cat src/input.txt > out/report.txt && printf 'token=%s\\n' "$API_TOKEN" >> out/report.txt && echo "built with $API_TOKEN"
    artifacts: ["out/**"]
  noisy:
    network: none
    inputs: []
    steps: ["seq 1 60000"]
  slow:
    network: none
    inputs: []
    cache: false
    steps: ["echo started; sleep 60"]
`

const project = projectsPerTest()
const servers: McpProcess[] = []
afterEach(() => {
  for (const server of servers.splice(0)) if (server.child.exitCode === null) server.child.kill('SIGKILL')
})

async function mcp(dir: string): Promise<McpProcess> {
  const server = await startMcp(dir, {env: {API_TOKEN: SECRET}})
  servers.push(server)
  return server
}

/** What the tools used here answer (their output schemas, as the client checked them). */
interface Answers {
  run: {finished: boolean; run: RunSummary}
  get_run: {run: RunSummary}
  cancel_run: {cancelled: boolean; run: RunSummary}
  read_log: TextWindow & {complete: boolean; jobStatus: string}
  list_artifacts: {artifacts: Array<{job: string; path: string; size: number; sha256: string}>}
  read_artifact: Partial<TextWindow> & {kind: 'text' | 'binary'; hostPath: string; complete?: boolean}
  explain_cache: {explanations: JobExplanation[]}
  validate_pipeline: {valid: boolean; jobs: number; diagnostics: unknown[]}
}

type Result<T> = CallToolResult & {structuredContent: T}

async function call<Name extends keyof Answers>(server: McpProcess, name: Name, args: Record<string, unknown> = {}): Promise<Result<Answers[Name]>> {
  return (await server.client.callTool({name, arguments: args})) as Result<Answers[Name]>
}

const text = (result: CallToolResult): string => result.content.map((part) => (part.type === 'text' ? part.text : '')).join('')

/** Reads the job's log until it holds `needle`: the container is then running its step. */
async function waitForLog(server: McpProcess, run: string, job: string, needle: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const log = await call(server, 'read_log', {run, job})
    if (!log.isError && log.structuredContent.text.includes(needle)) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`${job}'s log never showed ${JSON.stringify(needle)}`)
}

/** Every line orca mcp wrote on stdout is a JSON-RPC message: nothing else shares the channel. */
function expectOnlyProtocolOnStdout(server: McpProcess): void {
  const lines = server.stdout().split('\n').filter(Boolean)
  expect(lines.length).toBeGreaterThan(0)
  for (const line of lines) expect(JSON.parse(line)).toMatchObject({jsonrpc: '2.0'})
  expect(server.errors).toEqual([])
}

describe('orca mcp (built CLI over stdio, real engine, the SDK client)', () => {
  it('lists its tools, validates a broken file with positions, runs a target in containers and reads its log and artifact; the run is an ordinary run', async () => {
    const dir = project({'jobs.yml': PIPELINE, 'src/input.txt': 'hello from mcp\n', 'broken.yml': 'version: 1\njobs:\n  a:\n    image: busybox:1.36\n    steps: ["true"]\n    timeout: soon\n'})
    const server = await mcp(dir)

    const {tools} = await server.client.listTools()
    expect(tools.map((tool) => tool.name)).toEqual(
      expect.arrayContaining(['list_jobs', 'validate_pipeline', 'run', 'get_run', 'read_log', 'list_artifacts', 'read_artifact', 'explain_cache', 'cancel_run']),
    )

    const broken = await call(server, 'validate_pipeline', {file: 'broken.yml'})
    expect(broken.structuredContent).toMatchObject({valid: false, diagnostics: [{file: 'broken.yml', line: 6, column: 14, path: 'jobs.a.timeout'}]})
    expect(text(broken)).toContain('broken.yml:6:14 jobs.a.timeout: expected a duration')
    expect((await call(server, 'validate_pipeline')).structuredContent).toMatchObject({valid: true, jobs: 3})

    const progress: string[] = []
    const ran = (await server.client.callTool({name: 'run', arguments: {targets: ['build']}}, undefined, {onprogress: (p) => progress.push(p.message ?? '')})) as Result<Answers['run']>
    expect(ran.isError).toBeFalsy()
    const run = ran.structuredContent.run
    expect(ran.structuredContent.finished).toBe(true)
    expect(run).toMatchObject({status: 'succeeded', live: false, targets: ['build'], jobs: [{name: 'build', status: 'succeeded', cache: 'miss', artifacts: {count: 1}}]})
    expect(progress).toEqual(['build succeeded'])
    expect(text(ran)).toMatch(new RegExp(`^run ${run.id} succeeded in `))

    // An ordinary run: recorded in the run directory and listed by `orca runs`.
    expect(readJson(join(dir, '.orca/runs', run.id, 'run.json'))).toMatchObject({id: run.id, status: 'succeeded', targets: ['build']})
    const runs = await orca(['runs'], {cwd: dir})
    expect(runs.code).toBe(0)
    expect(runs.stdout).toContain(run.id)

    const log = await call(server, 'read_log', {run: run.id, job: 'build'})
    expect(log.structuredContent).toMatchObject({complete: true, jobStatus: 'succeeded'})
    expect(log.structuredContent.text).toBe('==> report\nbuilt with ***\n')

    const listed = await call(server, 'list_artifacts', {run: 'latest'})
    expect(listed.structuredContent.artifacts).toEqual([{job: 'build', path: 'out/report.txt', size: Buffer.byteLength(`hello from mcp\ntoken=${SECRET}\n`), sha256: expect.any(String)}])
    const artifact = await call(server, 'read_artifact', {job: 'build', path: 'out/report.txt'})
    expect(artifact.structuredContent).toMatchObject({kind: 'text', text: 'hello from mcp\ntoken=***\n', complete: true})
    // The file itself holds what the job wrote; only what the tool returns is masked.
    const onDisk = readFileSync(artifact.structuredContent.hostPath)
    expect(onDisk.toString()).toBe(`hello from mcp\ntoken=${SECRET}\n`)
    expect(createHash('sha256').update(onDisk).digest('hex')).toBe(listed.structuredContent.artifacts[0]!.sha256)

    for (const result of [ran, log, listed, artifact]) expect(JSON.stringify(result)).not.toContain(SECRET)
    expectOnlyProtocolOnStdout(server)
    await server.client.close()
    expect(await server.exit).toEqual({code: 0, signal: null})
  })

  it('explains a cache miss after an input file is edited', async () => {
    const dir = project({'jobs.yml': PIPELINE, 'src/input.txt': 'one\n'})
    const server = await mcp(dir)
    expect((await call(server, 'run', {targets: ['build']})).structuredContent.run.status).toBe('succeeded')
    expect((await call(server, 'explain_cache', {job: 'build'})).structuredContent.explanations[0]).toMatchObject({job: 'build', state: 'cached'})
    const again = await call(server, 'run', {targets: ['build']})
    expect(again.structuredContent.run.jobs[0]).toMatchObject({status: 'cached', cache: 'hit'})

    writeFileSync(join(dir, 'src/input.txt'), 'two\n')
    const explained = await call(server, 'explain_cache', {job: 'build'})
    expect(explained.structuredContent.explanations).toEqual([
      expect.objectContaining({job: 'build', state: 'changed', changes: [{area: 'inputs', text: 'changed  src/input.txt', path: 'src/input.txt'}]}),
    ])
    expect(text(explained)).toContain('build: will run: its key changed since it was last cached')
  })

  it('cancels a long run: cancel_run returns once it is recorded cancelled, and no container is left', async () => {
    const dir = project({'jobs.yml': PIPELINE})
    const server = await mcp(dir)
    const started = await call(server, 'run', {targets: ['slow'], wait: false})
    expect(started.structuredContent).toMatchObject({finished: false, run: {status: 'running', live: true}})
    const id = started.structuredContent.run.id
    expect(text(started)).toContain(`cancel_run {"run":"${id}"} stops it`)
    await waitForLog(server, id, 'slow', 'started')
    expect(containers(`orca.run=${id}`)).toHaveLength(1)

    const cancelled = await call(server, 'cancel_run', {run: id})
    expect(cancelled.structuredContent).toMatchObject({cancelled: true, run: {id, status: 'cancelled', live: false, jobs: [{name: 'slow', status: 'cancelled'}]}})
    expect(await containersLeft(`orca.run=${id}`)).toEqual([])
    expect(readJson(join(dir, '.orca/runs', id, 'run.json'))).toMatchObject({status: 'cancelled'})
    expect((await call(server, 'cancel_run', {run: id})).structuredContent).toMatchObject({cancelled: false})
  })

  it('cancels the run of a waiting call the client gives up on', async () => {
    const dir = project({'jobs.yml': PIPELINE})
    const server = await mcp(dir)
    const giveUp = new AbortController()
    const waiting = server.client.callTool({name: 'run', arguments: {targets: ['slow']}}, undefined, {signal: giveUp.signal})
    waiting.catch(() => undefined)
    let id: string | undefined
    for (let i = 0; i < 150 && id === undefined; i++) {
      const latest = await call(server, 'get_run', {run: 'latest'})
      if (!latest.isError && latest.structuredContent.run.live) id = latest.structuredContent.run.id
      else await new Promise((resolve) => setTimeout(resolve, 200))
    }
    await waitForLog(server, id!, 'slow', 'started')
    giveUp.abort()
    await expect(waiting).rejects.toThrow()
    const after = await call(server, 'get_run', {run: id, waitSeconds: 30})
    expect(after.structuredContent.run).toMatchObject({status: 'cancelled', live: false})
    expect(await containersLeft(`orca.run=${id}`)).toEqual([])
  })

  it('when the client disconnects mid-run: the run is cancelled, its container removed, and orca mcp exits 0', async () => {
    const dir = project({'jobs.yml': PIPELINE})
    const server = await mcp(dir)
    const id = (await call(server, 'run', {targets: ['slow'], wait: false})).structuredContent.run.id
    await waitForLog(server, id, 'slow', 'started')
    expect(containers(`orca.run=${id}`)).toHaveLength(1)

    const closing = Date.now()
    await server.client.close()
    expect(await server.exit).toEqual({code: 0, signal: null})
    // Well before a client escalates to signals (the SDK's sends SIGTERM after 2 s).
    expect(Date.now() - closing).toBeLessThan(2000)
    expect(await containersLeft(`orca.run=${id}`)).toEqual([])
    expect(readJson(join(dir, '.orca/runs', id, 'run.json'))).toMatchObject({status: 'cancelled', jobs: {slow: {status: 'cancelled', cleanup: 'removed'}}})
    expect(server.stderr()).toContain('orca mcp: stopped')
  })

  it('on SIGTERM cancels its runs, waits until they are recorded and their containers gone, and exits 0', async () => {
    const dir = project({'jobs.yml': PIPELINE})
    const server = await mcp(dir)
    const id = (await call(server, 'run', {targets: ['slow'], wait: false})).structuredContent.run.id
    await waitForLog(server, id, 'slow', 'started')
    server.child.kill('SIGTERM')
    expect(await server.exit).toEqual({code: 0, signal: null})
    expect(await containersLeft(`orca.run=${id}`)).toEqual([])
    expect(readJson(join(dir, '.orca/runs', id, 'run.json'))).toMatchObject({status: 'cancelled'})
    expect(server.stderr()).toContain('orca mcp: SIGTERM, cancelling 1 run(s) started here')
  })

  it('truncates an oversized log with a marker that says how to read the rest', async () => {
    const dir = project({'jobs.yml': PIPELINE})
    const server = await mcp(dir)
    const id = (await call(server, 'run', {targets: ['noisy']})).structuredContent.run.id
    const tail = await call(server, 'read_log', {run: id, job: 'noisy'})
    const window = tail.structuredContent
    expect(window.text).toMatch(/^59801\n[^]*\n60000\n$/)
    expect(window.complete).toBe(false)
    expect(JSON.stringify(tail).length).toBeLessThan(40_000)
    const marker = /\[orca: [\d,]+ bytes before this not shown \(bytes 0-\d+ of \d+\); to read from the start call read_log with (\{.*\})\]/.exec(text(tail))
    expect(marker).not.toBeNull()

    // The call the marker gives reads the start, bounded by maxBytes, and marks what follows.
    const start = await call(server, 'read_log', JSON.parse(marker![1]!))
    expect(start.structuredContent).toMatchObject({offset: 0, complete: false})
    expect(start.structuredContent.text).toMatch(/^==> seq 1 60000\n1\n2\n3\n/)
    expect(Buffer.byteLength(start.structuredContent.text)).toBeLessThanOrEqual(32 * 1024)
    expect(text(start)).toMatch(/bytes after this not shown \(bytes \d+-\d+\); to read on call read_log with \{[^}]*"offset":\d+\}\]\n$/)
    expectOnlyProtocolOnStdout(server)
  })

  it('costs the other commands nothing: orca validate loads neither the MCP SDK nor zod', async () => {
    const dir = project({'jobs.yml': PIPELINE})
    const trace = join(dir, 'imports.txt')
    writeFileSync(trace, '')
    const hook = pathToFileURL(resolve(dirname(fileURLToPath(import.meta.url)), '../helpers/trace-imports.mjs')).href
    const result = await orca(['validate'], {cwd: dir, env: {NODE_OPTIONS: `--import=${hook}`, ORCA_TRACE_IMPORTS: trace}})
    expect(result.code, result.stderr).toBe(0)
    const loaded = readFileSync(trace, 'utf8').split('\n')
    expect(loaded.some((url) => url.endsWith('/dist/commands/validate.js'))).toBe(true)
    expect(loaded.filter((url) => /node_modules\/(@modelcontextprotocol|zod)\/|\/dist\/mcp\//.test(url))).toEqual([])
  })
})
