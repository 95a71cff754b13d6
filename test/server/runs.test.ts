import {generateKeyPairSync, verify} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import {connect} from 'node:net'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {eventually, gatedExecutor, WAIT_YML} from './gated-executor.js'
import {GROUPS_YML, postJson, raw, readSse, serversPerTest, startServer, type TestServer} from './server-helpers.js'

const serve = serversPerTest()

const finished = async (s: TestServer, id: string): Promise<Record<string, unknown>> =>
  eventually(async () => {
    const record = (await raw(s.url, `/v1/runs/${id}`)).json()
    return record.status === 'running' ? undefined : record
  })

describe('runs over HTTP (real engine)', () => {
  it('starts a run, streams its events as SSE until run.finished, and records it like orca run', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML})
    const res = await postJson(s.url, '/v1/runs', {targets: ['b']})
    expect(res.status).toBe(202)
    const body = res.json()
    expect(body.url).toBe(`/v1/runs/${body.id}`)
    expect(res.headers.location).toBe(body.url)
    // The run directory exists when the reply is sent.
    expect(existsSync(join(s.runsDir, body.id, 'run.json'))).toBe(true)

    const stream = await readSse(s.url, body.eventsUrl)
    expect(stream.status).toBe(200)
    expect(stream.contentType).toMatch(/^text\/event-stream/)
    expect(stream.events.map((e) => e.type)).toEqual(['run.started', 'job.started', 'job.finished', 'job.started', 'job.finished', 'run.finished'])
    expect(stream.messages.map((m) => m.id)).toEqual(['1', '2', '3', '4', '5', '6'])
    expect(stream.events.every((e) => e.runId === body.id)).toBe(true)

    const record = await finished(s, body.id)
    expect(record).toMatchObject({id: body.id, status: 'succeeded', targets: ['b']})
    expect(Object.keys(record.jobs as object)).toEqual(['a', 'b'])
    const list = (await raw(s.url, '/v1/runs')).json()
    expect(list.runs.map((r: {id: string}) => r.id)).toEqual([body.id])
    expect((await raw(s.url, '/v1/runs/latest')).json().id).toBe(body.id)
  })

  it('resumes an SSE stream after a disconnect from Last-Event-ID, without gaps or repeats', async () => {
    const gate = gatedExecutor()
    const s = await serve({'jobs.yml': WAIT_YML}, {executor: gate.factory})
    const {id} = (await postJson(s.url, '/v1/runs', {})).json()
    // Live run: read the first three events, drop the connection.
    const first = await readSse(s.url, `/v1/runs/${id}/events`, {maxMessages: 3})
    expect(first.events.map((e) => e.seq)).toEqual([1, 2, 3])
    const resumed = readSse(s.url, `/v1/runs/${id}/events`, {lastEventId: '3'})
    await eventually(() => gate.started.length === 1 || undefined)
    gate.open()
    const rest = await resumed
    expect(rest.events[0]!.seq).toBe(4)
    expect(rest.events.map((e) => e.seq)).toEqual(rest.events.map((_, i) => i + 4))
    expect(rest.events.at(-1)!.type).toBe('run.finished')
    // Once finished, the same resume is served from events.jsonl.
    await finished(s, id)
    const fromDisk = await readSse(s.url, `/v1/runs/${id}/events`, {lastEventId: '3'})
    expect(fromDisk.events).toEqual(rest.events)
  })

  it('answers a retried POST with the same Idempotency-Key with the same run, and refuses the key with another body', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML})
    const headers = {'idempotency-key': 'deploy-42'}
    const [a, b] = await Promise.all([postJson(s.url, '/v1/runs', {targets: ['c']}, headers), postJson(s.url, '/v1/runs', {targets: ['c']}, headers)])
    expect(a.status).toBe(202)
    expect(b.status).toBe(202)
    expect(b.json().id).toBe(a.json().id)
    const later = await postJson(s.url, '/v1/runs', {targets: ['c']}, headers)
    expect(later.json().id).toBe(a.json().id)
    expect(later.headers['idempotent-replayed']).toBe('true')
    const other = await postJson(s.url, '/v1/runs', {targets: ['a']}, headers)
    expect(other.status).toBe(422)
    expect(other.json().error.code).toBe('idempotency_key_reused')
    await finished(s, a.json().id)
    expect((await raw(s.url, '/v1/runs')).json().runs).toHaveLength(1)
  })

  it('takes 100 concurrent submissions: every one gets its own run, all finish and are listed', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML}, {maxRunningRuns: 2})
    const replies = await Promise.all(Array.from({length: 100}, () => postJson(s.url, '/v1/runs', {})))
    expect(replies.map((r) => r.status)).toEqual(Array(100).fill(202))
    const ids = new Set(replies.map((r) => r.json().id as string))
    expect(ids.size).toBe(100)
    await eventually(async () => {
      const health = (await raw(s.url, '/healthz')).json()
      return health.running === 0 && health.queued === 0 ? health : undefined
    })
    const list = (await raw(s.url, '/v1/runs?limit=1000')).json()
    expect(new Set(list.runs.map((r: {id: string}) => r.id))).toEqual(ids)
    expect(list.runs.every((r: {status: string}) => r.status === 'succeeded')).toBe(true)

    // Pages follow `next` through every run, newest first, without overlap.
    const seen: string[] = []
    let next: string | null = null
    do {
      const page: {runs: Array<{id: string}>; next: string | null} = (await raw(s.url, `/v1/runs?limit=30${next ? `&before=${next}` : ''}`)).json()
      seen.push(...page.runs.map((r) => r.id))
      next = page.next
    } while (next !== null)
    expect(seen).toEqual([...ids].sort().reverse())
  })

  it('queues runs beyond the limit, and a queued run cancelled never starts', async () => {
    const gate = gatedExecutor()
    const s = await serve({'jobs.yml': WAIT_YML}, {executor: gate.factory, maxRunningRuns: 1})
    const first = (await postJson(s.url, '/v1/runs', {})).json()
    const second = (await postJson(s.url, '/v1/runs', {})).json()
    expect(first.state).toBe('running')
    expect(second.state).toBe('queued')
    await eventually(() => gate.started.length === 1 || undefined)
    expect((await raw(s.url, '/healthz')).json()).toMatchObject({running: 1, queued: 1})
    // A queued run is recorded already: running, every job pending.
    expect((await raw(s.url, `/v1/runs/${second.id}`)).json()).toMatchObject({status: 'running', jobs: {work: {status: 'pending'}}})

    expect((await raw(s.url, `/v1/runs/${second.id}/cancel`, {method: 'POST'})).status).toBe(202)
    expect(await finished(s, second.id)).toMatchObject({status: 'cancelled', jobs: {work: {status: 'skipped'}}})
    gate.open()
    expect(await finished(s, first.id)).toMatchObject({status: 'succeeded'})
    expect(gate.started).toEqual([first.id])
    const again = await raw(s.url, `/v1/runs/${first.id}/cancel`, {method: 'POST'})
    expect(again.status).toBe(409)
    expect(again.json().error.code).toBe('run_not_live')
  })

  it('serves a job log as text and 404s a job the run does not have', async () => {
    const gate = gatedExecutor()
    const s = await serve({'jobs.yml': WAIT_YML}, {executor: gate.factory})
    const {id} = (await postJson(s.url, '/v1/runs', {})).json()
    gate.open()
    await finished(s, id)
    const log = await raw(s.url, `/v1/runs/${id}/logs/work`)
    expect(log.status).toBe(200)
    expect(log.headers['content-type']).toMatch(/^text\/plain/)
    expect(log.text).toContain('work waiting\n')
    expect((await raw(s.url, `/v1/runs/${id}/logs/nope`)).status).toBe(404)
  })
})

describe('provenance over HTTP (real engine)', () => {
  it('serves the run\'s signed attestation as the file in its directory, and 404s a run that left no artifacts', async () => {
    const {privateKey, publicKey} = generateKeyPairSync('ed25519')
    const s = await serve({
      'jobs.yml': 'version: 1\nimage: busybox:1.36\njobs:\n  make:\n    network: none\n    steps: ["echo hi > out.txt"]\n    artifacts: ["out.txt"]\n  plain: {}\n',
      'orca.config.yml': 'provenance: {signingKey: keys/orca.key}\n',
      'keys/orca.key': privateKey.export({type: 'pkcs8', format: 'pem'}) as string,
    })
    const {id} = (await postJson(s.url, '/v1/runs', {targets: ['make']})).json()
    expect(await finished(s, id)).toMatchObject({status: 'succeeded', provenance: {path: 'provenance.intoto.jsonl', signed: true}})
    const served = await raw(s.url, `/v1/runs/${id}/provenance`)
    expect(served.status).toBe(200)
    expect(served.headers['content-type']).toMatch(/^application\/x-ndjson/)
    expect(served.headers['content-disposition']).toBe(`attachment; filename="${id}.intoto.jsonl"`)
    expect(served.text).toBe(readFileSync(join(s.runsDir, id, 'provenance.intoto.jsonl'), 'utf8'))
    const envelope = JSON.parse(served.text) as {payload: string; payloadType: string; signatures: Array<{sig: string}>}
    const body = Buffer.from(envelope.payload, 'base64')
    const pae = Buffer.concat([Buffer.from(`DSSEv1 ${envelope.payloadType.length} ${envelope.payloadType} ${body.length} `), body])
    expect(verify(null, pae, publicKey, Buffer.from(envelope.signatures[0]!.sig, 'base64'))).toBe(true)

    const groupOnly = (await postJson(s.url, '/v1/runs', {targets: ['plain']})).json()
    await finished(s, groupOnly.id)
    const none = await raw(s.url, `/v1/runs/${groupOnly.id}/provenance`)
    expect(none.status).toBe(404)
    expect(none.json().error.message).toBe(`run ${groupOnly.id} has no attestation (it is still running, or left no artifacts)`)
  })
})

describe('shutdown', () => {
  it('cancels live runs, records them, and stops answering', async () => {
    const gate = gatedExecutor()
    const s = await startServer({'jobs.yml': WAIT_YML}, {executor: gate.factory, maxRunningRuns: 1})
    const running = (await postJson(s.url, '/v1/runs', {})).json()
    const queued = (await postJson(s.url, '/v1/runs', {})).json()
    await eventually(() => gate.started.length === 1 || undefined)
    let connected!: () => void
    const streaming = new Promise<void>((resolve) => (connected = resolve))
    const stream = readSse(s.url, `/v1/runs/${running.id}/events`, {onMessage: () => connected()})
    await streaming
    await s.server.shutdown('cancel')
    const {events} = await stream
    expect(events.at(-1)).toMatchObject({type: 'run.finished', status: 'cancelled'})
    const {readRunRecord} = await import('../../src/engine/records/store.js')
    expect((await readRunRecord(s.runsDir, running.id)).status).toBe('cancelled')
    expect((await readRunRecord(s.runsDir, queued.id)).status).toBe('cancelled')
    await expect(raw(s.url, '/healthz')).rejects.toThrow()
    await s.close()
  })

  it('ends a shutdown whose client holds a connection half-way through a request, and cuts that connection', async () => {
    const s = await startServer({'jobs.yml': WAIT_YML})
    // A request whose headers never end: the connection is busy, never idle, until the server cuts it.
    const socket = connect(s.port, '127.0.0.1')
    await new Promise<void>((resolve) => socket.once('connect', resolve))
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n')
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.on('error', () => {})
    await s.server.shutdown('cancel')
    await closed
    await s.close()
  })

  it('lets running runs finish with mode "finish" and drops the queued ones', async () => {
    const gate = gatedExecutor()
    const s = await startServer({'jobs.yml': WAIT_YML}, {executor: gate.factory, maxRunningRuns: 1})
    const running = (await postJson(s.url, '/v1/runs', {})).json()
    const queued = (await postJson(s.url, '/v1/runs', {})).json()
    await eventually(() => gate.started.length === 1 || undefined)
    const closing = s.server.shutdown('finish')
    setTimeout(() => gate.open(), 200)
    await closing
    const {readRunRecord} = await import('../../src/engine/records/store.js')
    expect((await readRunRecord(s.runsDir, running.id)).status).toBe('succeeded')
    expect((await readRunRecord(s.runsDir, queued.id)).status).toBe('cancelled')
    await s.close()
  })
})
