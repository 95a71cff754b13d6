import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {request as httpRequest} from 'node:http'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {afterEach} from 'vitest'

import {loadConfig} from '../../src/engine/config/load.js'
import {manifestDigest, serialiseArtifactManifest, sortEntries, summarise} from '../../src/engine/artifacts/manifest.js'
import {emptyRunRecord, pendingJobRecord, type ArtifactsRecord, type RunRecord} from '../../src/engine/records/record.js'
import type {OrcaEvent} from '../../src/engine/records/events.js'
import {createServer, type OrcaServer, type ServeOptions} from '../../src/server/app.js'

/** A group-only pipeline: the real engine runs it without containers. */
export const GROUPS_YML = `version: 1
image: busybox:1.36
jobs:
  a: {}
  b:
    needs: [a]
  c:
    needs: [b]
`

export interface TestServer {
  url: string
  port: number
  dir: string
  runsDir: string
  server: OrcaServer
  close(): Promise<void>
}

/** A started server over a throwaway project; `close()` shuts it down and removes the project. */
export async function startServer(files: Record<string, string>, options: Partial<ServeOptions> = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'orca-serve-'))
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), {recursive: true})
    writeFileSync(join(dir, path), text)
  }
  const config = await loadConfig({cwd: dir, env: {}})
  const server = await createServer({projectDir: dir, config, env: {}, orcaVersion: '0.0.0-test', ...options})
  const {url, port} = await server.listen('127.0.0.1', 0)
  return {
    url,
    port,
    dir,
    runsDir: config.runsDir,
    server,
    async close() {
      await server.shutdown('cancel')
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

/** `serve(...)` starts a test server; every server started is closed after each test of the file. */
export function serversPerTest(): (...args: Parameters<typeof startServer>) => Promise<TestServer> {
  const servers: TestServer[] = []
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close()
  })
  return async (...args) => {
    const s = await startServer(...args)
    servers.push(s)
    return s
  }
}

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: <T = any>() => T // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One HTTP request with full control of path and headers (fetch will not send a foreign Host). */
export function raw(url: string, path: string, init: {method?: string; headers?: Record<string, string>; body?: string | Buffer} = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    // The path goes out as written: a WHATWG URL would resolve `%2e%2e` segments before the server sees them.
    const {hostname, port} = new URL(url)
    const req = httpRequest({hostname, port, path, method: init.method ?? 'GET', headers: init.headers}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text)})
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(init.body)
  })
}

export const postJson = (url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> =>
  raw(url, path, {method: 'POST', headers: {'content-type': 'application/json', ...headers}, body: JSON.stringify(body)})

export interface SseMessage {
  id?: string
  /** The `event:` field; absent for the engine's events. */
  event?: string
  data: string
}

export interface SseStream {
  status: number
  contentType: string | null
  /** The engine's events as sent, in order. */
  messages: SseMessage[]
  events: OrcaEvent[]
  /** The `end` message after run.finished, when it came. */
  end?: {runId: string; status: string; lastSeq: number}
  /** `retry:` values the server sent. */
  retries: number[]
}

/**
 * Reads an SSE stream until it ends (or `maxMessages` arrived, then disconnects); returns the
 * messages with their ids and the parsed events.
 */
export async function readSse(url: string, path: string, options: {lastEventId?: string; maxMessages?: number; headers?: Record<string, string>; onMessage?: (m: SseMessage) => void; onOpen?: () => void} = {}): Promise<SseStream> {
  const controller = new AbortController()
  const res = await fetch(new URL(path, url), {
    headers: {accept: 'text/event-stream', ...(options.lastEventId ? {'last-event-id': options.lastEventId} : {}), ...options.headers},
    signal: controller.signal,
  })
  options.onOpen?.()
  const stream: SseStream = {status: res.status, contentType: res.headers.get('content-type'), messages: [], events: [], retries: []}
  const result = (): SseStream => ({...stream, events: stream.messages.map((m) => JSON.parse(m.data) as OrcaEvent)})
  if (!res.body) return result()
  const decoder = new TextDecoder()
  let buffer = ''
  try {
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, {stream: true})
      let end
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const message: SseMessage = {data: ''}
        const data: string[] = []
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) message.id = line.slice(4)
          if (line.startsWith('event: ')) message.event = line.slice(7)
          if (line.startsWith('data: ')) data.push(line.slice(6))
          if (line.startsWith('retry: ')) stream.retries.push(Number(line.slice(7)))
        }
        if (data.length === 0) continue
        message.data = data.join('\n')
        if (message.event === 'end') {
          stream.end = JSON.parse(message.data)
          continue
        }
        stream.messages.push(message)
        options.onMessage?.(message)
        if (options.maxMessages !== undefined && stream.messages.length >= options.maxMessages) {
          controller.abort()
          return result()
        }
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error
  }
  return result()
}

/** Writes a finished run's directory by hand: run.json, an events.jsonl and each job's artifact manifest (files are the caller's). */
export function seedRun(runsDir: string, id: string, jobs: Record<string, {artifacts?: Array<{path: string; size: number; sha256: string}>}> = {}): RunRecord {
  const dir = join(runsDir, id)
  mkdirSync(join(dir, 'logs'), {recursive: true})
  mkdirSync(join(dir, 'artifacts'), {recursive: true})
  const manifestOf = (name: string, files: Array<{path: string; size: number; sha256: string}>): ArtifactsRecord => {
    const entries = sortEntries(files.map((f) => ({...f, type: 'file' as const, mode: 0o644})))
    const text = serialiseArtifactManifest(entries)
    writeFileSync(join(dir, 'artifacts', `${name}.json`), text)
    return {...summarise(entries), manifest: `artifacts/${name}.json`, sha256: manifestDigest(text)}
  }
  const record: RunRecord = {
    ...emptyRunRecord(id, '2026-01-01T00:00:00.000Z'),
    status: 'succeeded',
    finishedAt: '2026-01-01T00:00:01.000Z',
    durationMs: 1000,
    lastSeq: 2,
    jobs: Object.fromEntries(
      Object.entries(jobs).map(([name, j]) => [name, {...pendingJobRecord(), status: 'succeeded', artifacts: j.artifacts ? manifestOf(name, j.artifacts) : null}]),
    ),
  }
  writeFileSync(join(dir, 'run.json'), JSON.stringify(record))
  const time = '2026-01-01T00:00:00.000Z'
  const events = [
    {type: 'run.started', targets: [], jobs: Object.keys(jobs), file: '/p/jobs.yml', projectDir: '/p', pid: 1, host: 'h', orcaVersion: '0', seq: 1, time, runId: id},
    {type: 'run.finished', status: 'succeeded', durationMs: 1000, seq: 2, time, runId: id},
  ]
  writeFileSync(join(dir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n')
  return record
}

