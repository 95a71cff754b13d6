import {createHash} from 'node:crypto'
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {Client} from '@modelcontextprotocol/sdk/client/index.js'
import {InMemoryTransport} from '@modelcontextprotocol/sdk/inMemory.js'
import type {CallToolResult, ReadResourceResult} from '@modelcontextprotocol/sdk/types.js'
import {afterEach, describe, expect, it} from 'vitest'

import {manifestDigest, serialiseArtifactManifest, sortEntries, summarise} from '../../src/engine/artifacts/manifest.js'
import {CacheStore} from '../../src/engine/cache/store.js'
import {emptyRunRecord, pendingJobRecord} from '../../src/engine/records/record.js'
import {LiveRuns} from '../../src/mcp/live-runs.js'
import {McpProject} from '../../src/mcp/project.js'
import {createOrcaMcpServer} from '../../src/mcp/server.js'

// The server in this process, its client over an in-memory transport, runs written by hand: no
// Docker. What needs containers is in test/e2e/mcp.test.ts, against the built CLI.

const SECRET = 'tok-9f8e7d6c5b4a'
const RUN_ID = '20261129T100000000Z-abcdef'

const PIPELINE = `version: 1
image: busybox:1.36
env:
  DB_PASSWORD: written-in-the-file
jobs:
  build:
    secrets: [API_TOKEN]
    steps: ["echo build"]
    artifacts: ["out/**"]
  test:
    needs: [build]
    steps: ["echo test"]
`

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A project with jobs.yml and one recorded run whose log and artifacts hold the secret unmasked. */
function fixtureProject(files: Record<string, string> = {'jobs.yml': PIPELINE}): string {
  const dir = mkdtempSync(join(tmpdir(), 'orca-mcp-'))
  cleanups.push(() => rmSync(dir, {recursive: true, force: true}))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  const runDir = join(dir, '.orca/runs', RUN_ID)
  mkdirSync(join(runDir, 'logs'), {recursive: true})
  mkdirSync(join(runDir, 'artifacts/build/out'), {recursive: true})
  writeFileSync(join(runDir, 'logs/build.log'), `==> echo build\n${Array.from({length: 5000}, (_, i) => `line ${i} ${SECRET}\n`).join('')}`)
  const artifactFiles: Array<[string, Buffer]> = [
    ['out/report.txt', Buffer.from(`token=${SECRET}\n`)],
    ['out/blob.bin', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3])],
    ['out/link.txt', Buffer.from('listed as a file\n')],
  ]
  for (const [path, bytes] of artifactFiles) writeFileSync(join(runDir, 'artifacts/build', path), bytes)
  // The run's manifest lists link.txt as a file; on disk it was swapped for a link out of the run.
  rmSync(join(runDir, 'artifacts/build/out/link.txt'))
  symlinkSync('/etc/passwd', join(runDir, 'artifacts/build/out/link.txt'))
  const entries = artifactFiles.map(([path, bytes]) => ({path, type: 'file' as const, mode: 0o644, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex')}))
  const manifest = serialiseArtifactManifest(sortEntries(entries))
  writeFileSync(join(runDir, 'artifacts/build.json'), manifest)
  const record = emptyRunRecord(RUN_ID, '2026-11-29T10:00:00.000Z')
  record.status = 'succeeded'
  record.targets = ['build']
  const artifacts = {...summarise(entries), manifest: 'artifacts/build.json', sha256: manifestDigest(manifest)}
  record.jobs = {build: {...pendingJobRecord(), status: 'succeeded', artifacts}}
  writeFileSync(join(runDir, 'run.json'), JSON.stringify(record))
  return dir
}

async function connect(dir: string, env: NodeJS.ProcessEnv = {API_TOKEN: SECRET}): Promise<Client> {
  const runs = new LiveRuns({orcaVersion: '0.0.0-test', maxLiveRuns: 2})
  const server = createOrcaMcpServer({project: new McpProject({cwd: dir, projectDir: dir, file: 'jobs.yml'}, env), runs, stderr: process.stderr}, '0.0.0-test')
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
  await server.connect(serverSide)
  const client = new Client({name: 'test', version: '1'})
  await client.connect(clientSide)
  // Listing the tools makes the client check every structured result against its tool's output schema.
  await client.listTools()
  cleanups.push(async () => {
    await client.close()
    await server.close()
  })
  return client
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult & {structuredContent?: Record<string, unknown>}> {
  return (await client.callTool({name, arguments: args})) as CallToolResult & {structuredContent?: Record<string, unknown>}
}

const text = (result: CallToolResult): string => result.content.map((part) => (part.type === 'text' ? part.text : '')).join('')

/** The text of a resource's one part. */
const resourceText = (result: ReadResourceResult): string => {
  const [part] = result.contents
  return part !== undefined && 'text' in part ? part.text : ''
}

describe('orca mcp tools (in process, no Docker)', () => {
  it('every tool publishes an output schema and a description', async () => {
    const client = await connect(fixtureProject())
    const {tools} = await client.listTools()
    expect(tools.map((tool) => tool.name).sort()).toEqual(
      ['cancel_run', 'explain_cache', 'get_run', 'list_artifacts', 'list_jobs', 'list_runs', 'read_artifact', 'read_log', 'run', 'validate_pipeline'].sort(),
    )
    for (const tool of tools) {
      expect(tool.outputSchema, tool.name).toMatchObject({type: 'object'})
      expect(tool.description!.length, tool.name).toBeGreaterThan(40)
    }
  })

  it('validate_pipeline returns every problem with its file, line, column and key path', async () => {
    const dir = fixtureProject({'jobs.yml': 'version: 1\njobs:\n  build:\n    image: busybox:1.36\n    timeout: ten\n    steps: ["true"]\n  test:\n    needs: [biuld]\n'})
    const client = await connect(dir)
    const result = await call(client, 'validate_pipeline')
    expect(result.isError).toBeFalsy()
    expect(result.structuredContent).toMatchObject({file: 'jobs.yml', valid: false})
    const diagnostics = result.structuredContent!.diagnostics as Array<Record<string, unknown>>
    expect(diagnostics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({file: 'jobs.yml', line: 5, column: 14, path: 'jobs.build.timeout'}),
        expect.objectContaining({file: 'jobs.yml', line: 8, path: 'jobs.test.needs[0]'}),
      ]),
    )
    expect(text(result)).toContain('jobs.yml:5:14 jobs.build.timeout:')
  })

  it('list_jobs names env variables without their values, and the targets', async () => {
    const client = await connect(fixtureProject())
    const result = await call(client, 'list_jobs')
    expect(result.structuredContent).toMatchObject({file: 'jobs.yml', targets: ['test']})
    const jobs = result.structuredContent!.jobs as Array<Record<string, unknown>>
    expect(jobs[0]).toMatchObject({name: 'build', env: ['DB_PASSWORD'], secrets: ['API_TOKEN'], neededBy: ['test'], steps: ['echo build'], group: false})
    expect(JSON.stringify(result)).not.toContain('written-in-the-file')
  })

  it('read_log shows the end of a log, bounded, masked, with a marker giving the call that reads the rest', async () => {
    const client = await connect(fixtureProject())
    const result = await call(client, 'read_log', {job: 'build'})
    const data = result.structuredContent!
    expect(data).toMatchObject({run: RUN_ID, job: 'build', jobStatus: 'succeeded', live: false, complete: false, end: data.totalBytes})
    expect((data.text as string).split('\n').filter(Boolean)).toHaveLength(200)
    expect(data.text).toMatch(/^line 4800 \*\*\*\n/)
    expect(text(result)).toContain(`[orca: ${(data.offset as number).toLocaleString('en-US')} bytes before this not shown (bytes 0-${data.offset} of ${data.totalBytes}); to read from the start call read_log with {"run":"${RUN_ID}","job":"build","maxBytes":32768,"offset":0}]`)
    expect(JSON.stringify(result)).not.toContain(SECRET)

    const start = await call(client, 'read_log', {run: RUN_ID, job: 'build', maxBytes: 32768, offset: 0})
    expect(start.structuredContent).toMatchObject({offset: 0, complete: false})
    expect(Buffer.byteLength(start.structuredContent!.text as string)).toBeLessThanOrEqual(32768)
    expect(start.structuredContent!.text).toMatch(/^==> echo build\nline 0 \*\*\*\n/)
    expect(text(start)).toMatch(/bytes after this not shown .*; to read on call read_log with \{.*"offset":\d+\}\]\n$/)
  })

  it('read_artifact shows text masked, describes binary files by path, size and sha256, and refuses a symlink out of the run', async () => {
    const dir = fixtureProject()
    const client = await connect(dir)
    const report = await call(client, 'read_artifact', {job: 'build', path: 'out/report.txt'})
    expect(report.structuredContent).toMatchObject({kind: 'text', text: 'token=***\n', complete: true, path: 'out/report.txt'})
    expect(JSON.stringify(report)).not.toContain(SECRET)

    const blob = await call(client, 'read_artifact', {job: 'build', path: 'out/blob.bin'})
    expect(blob.structuredContent).toEqual({
      run: RUN_ID,
      job: 'build',
      path: 'out/blob.bin',
      size: 8,
      sha256: createHash('sha256').update(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3])).digest('hex'),
      hostPath: expect.stringMatching(/\/artifacts\/build\/out\/blob\.bin$/),
      kind: 'binary',
    })

    const link = await call(client, 'read_artifact', {job: 'build', path: 'out/link.txt'})
    expect(link.isError).toBe(true)
    expect(text(link)).toContain('no longer stored in the run directory')
    expect(text(link)).not.toContain('root:')

    const listed = await call(client, 'list_artifacts', {limit: 2})
    // In the manifest's order: by path within a job.
    expect(listed.structuredContent).toMatchObject({total: 3, omitted: 1, artifacts: [{job: 'build', path: 'out/blob.bin'}, {job: 'build', path: 'out/link.txt'}]})
  })

  it('read_artifact writes out the files of a job restored from the cache, checked, and refuses content changed after it was stored', async () => {
    const dir = fixtureProject()
    // The build job as a cache hit leaves it: its manifest in the run, its content only in the cache.
    rmSync(join(dir, '.orca/runs', RUN_ID, 'artifacts/build'), {recursive: true})
    const blobs = new CacheStore(join(dir, '.orca/cache')).blobs
    const report = Buffer.from(`token=${SECRET}\n`)
    blobs.putBytes(report)
    blobs.putBytes(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]))
    blobs.putBytes(Buffer.from('listed as a file\n'))
    const client = await connect(dir)

    const read = await call(client, 'read_artifact', {job: 'build', path: 'out/report.txt'})
    expect(read.structuredContent).toMatchObject({kind: 'text', text: 'token=***\n', complete: true})
    const hostPath = read.structuredContent!.hostPath as string
    expect(hostPath).toMatch(/\/artifacts\/build\/out\/report\.txt$/)
    expect(readFileSync(hostPath)).toEqual(report)

    // The written file is a hard link to the cache's content: changed through it, it is never shown again.
    chmodSync(hostPath, 0o644)
    writeFileSync(hostPath, `token=${SECRET}!\n`.slice(0, report.length))
    const changed = await call(client, 'read_artifact', {job: 'build', path: 'out/report.txt'})
    expect(changed.isError).toBe(true)
    expect(text(changed)).toContain('was changed after it was stored')
    expect(JSON.stringify(changed)).not.toContain(SECRET)
  })

  it('resources: the pipeline file, run records and logs, masked', async () => {
    const client = await connect(fixtureProject())
    const {resources} = await client.listResources()
    expect(resources.map((resource) => resource.uri)).toEqual(['orca://jobs.yml', `orca://runs/${RUN_ID}`])
    const {resourceTemplates} = await client.listResourceTemplates()
    expect(resourceTemplates.map((template) => template.uriTemplate)).toEqual(['orca://runs/{id}', 'orca://runs/{id}/logs/{job}'])

    const pipeline = await client.readResource({uri: 'orca://jobs.yml'})
    expect(pipeline.contents[0]).toMatchObject({mimeType: 'application/yaml', text: PIPELINE})
    const run = await client.readResource({uri: 'orca://runs/latest'})
    expect(JSON.parse(resourceText(run))).toMatchObject({id: RUN_ID, status: 'succeeded'})
    const log = await client.readResource({uri: `orca://runs/${RUN_ID}/logs/build`})
    expect(resourceText(log)).not.toContain(SECRET)
    // Under the resource's bound (256 KiB): the whole log.
    expect(resourceText(log)).toMatch(/^==> echo build\nline 0 \*\*\*\n[^]*line 4999 \*\*\*\n$/)
    await expect(client.readResource({uri: 'orca://runs/nosuchrun'})).rejects.toThrow(/no run matches "nosuchrun"/)
  })

  it('answers mistakes with a tool error that says what to do, never a stack', async () => {
    const client = await connect(fixtureProject())
    const unknownRun = await call(client, 'get_run', {run: '1999'})
    expect(unknownRun.isError).toBe(true)
    expect(text(unknownRun)).toMatch(/^error: no run matches "1999" in .*\nhint: recent runs: 20261129T100000000Z-abcdef/)
    const unknownJob = await call(client, 'read_log', {job: 'nope'})
    expect(text(unknownJob)).toBe(`error: run ${RUN_ID} has no job "nope"\nhint: its jobs: build`)
    const outside = await call(client, 'validate_pipeline', {file: '../elsewhere/jobs.yml'})
    expect(outside.isError).toBe(true)
    expect(text(outside)).toContain('is not a pipeline file of this project')
    const unknownTarget = await call(client, 'run', {targets: ['biuld']})
    expect(text(unknownTarget)).toMatch(/^error: unknown target "biuld".*\nhint: did you mean "build"\?/)
    for (const result of [unknownRun, unknownJob, outside, unknownTarget]) expect(text(result)).not.toMatch(/\n\s+at /)
  })

  it('a secret the pipeline names is masked in every answer, here in a run refused for it', async () => {
    const client = await connect(fixtureProject(), {API_TOKEN: SECRET})
    const result = await call(client, 'run', {targets: ['nope-' + SECRET]})
    expect(result.isError).toBe(true)
    expect(text(result)).toContain('unknown target "nope-***"')
  })
})
