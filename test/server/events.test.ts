import {spawn, type ChildProcess} from 'node:child_process'
import {hostname} from 'node:os'

import {EventSource} from 'eventsource'
import {afterEach, describe, expect, it} from 'vitest'

import {startTimeOf} from '../../src/engine/process-identity.js'
import {runEvents, writeRun} from '../engine/history/fixtures.js'
import {eventually, gatedExecutor, WAIT_YML} from './gated-executor.js'
import {GROUPS_YML, postJson, raw, readSse, seedRun, serversPerTest} from './server-helpers.js'

const serve = serversPerTest()
const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
})

const RUN = '20260101T000000000Z-abcdef'

/** A process standing in for another orca that runs a run; killing it is the owner dying. */
async function owner(): Promise<{pid: number; startTime: string; kill: () => void}> {
  const child = spawn('sleep', ['60'], {stdio: 'ignore'})
  children.push(child)
  const pid = child.pid!
  const startTime = await eventually(() => startTimeOf(pid))
  return {pid, startTime, kill: () => child.kill('SIGKILL')}
}

describe('event streams end', () => {
  it('answers a resume of a finished run at or past its last event with 204 at once', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML})
    seedRun(s.runsDir, RUN)
    for (const lastEventId of ['2', '3', '999999']) {
      const res = await raw(s.url, `/v1/runs/${RUN}/events`, {headers: {'last-event-id': lastEventId}})
      expect(res.status, lastEventId).toBe(204)
      expect(res.text).toBe('')
    }
    // A resume before the end gets the rest, then the end message, then the stream closes.
    const rest = await readSse(s.url, `/v1/runs/${RUN}/events`, {lastEventId: '1'})
    expect(rest.events.map((e) => e.seq)).toEqual([2])
    expect(rest.end).toEqual({runId: RUN, status: 'succeeded', lastSeq: 2})
  })

  it('ends a live run\'s stream resumed past its end, and sends nothing at or before Last-Event-ID', async () => {
    const gate = gatedExecutor()
    const s = await serve({'jobs.yml': WAIT_YML}, {executor: gate.factory})
    const {id} = (await postJson(s.url, '/v1/runs', {})).json()
    await eventually(() => gate.started.length === 1 || undefined)
    let open = 0
    const early = readSse(s.url, `/v1/runs/${id}/events`, {lastEventId: '999', onOpen: () => open++})
    const middle = readSse(s.url, `/v1/runs/${id}/events`, {lastEventId: '2', onOpen: () => open++})
    await eventually(() => open === 2 || undefined)
    gate.open()
    const [past, rest] = await Promise.all([early, middle])
    expect(past.events).toEqual([])
    expect(past.end).toMatchObject({runId: id, status: 'succeeded'})
    expect(rest.events[0]!.seq).toBe(3)
    expect(rest.events.at(-1)!.type).toBe('run.finished')
    expect(rest.end).toEqual({runId: id, status: 'succeeded', lastSeq: rest.events.at(-1)!.seq})
    // Live or read back from disk, a resume at the end is over.
    expect((await raw(s.url, `/v1/runs/${id}/events`, {headers: {'last-event-id': String(rest.end!.lastSeq)}})).status).toBe(204)
  })

  it('reports a run whose process died as abandoned, in the list, the record and the stream', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML})
    const dead = await owner()
    dead.kill()
    await eventually(() => startTimeOf(dead.pid) === undefined || undefined)
    writeRun(s.runsDir, runEvents(RUN, Date.parse('2026-01-01T00:00:00Z')), {lock: {pid: dead.pid, startTime: dead.startTime, host: hostname()}})
    expect((await raw(s.url, '/v1/runs')).json().runs).toEqual([expect.objectContaining({id: RUN, status: 'abandoned'})])
    expect((await raw(s.url, `/v1/runs/${RUN}`)).json()).toMatchObject({status: 'abandoned', error: {kind: 'abandoned'}})
    const stream = await readSse(s.url, `/v1/runs/${RUN}/events`)
    expect(stream.events.at(-1)).toMatchObject({type: 'run.finished', status: 'abandoned', seq: 5})
    expect(stream.end).toEqual({runId: RUN, status: 'abandoned', lastSeq: 5})
    expect((await raw(s.url, `/v1/runs/${RUN}/events`, {headers: {'last-event-id': '5'}})).status).toBe(204)
  })

  it('ends the stream of another process\'s run when that process dies mid-stream', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML})
    const alive = await owner()
    writeRun(s.runsDir, runEvents(RUN, Date.now()), {lock: {pid: alive.pid, startTime: alive.startTime, host: hostname()}})
    expect((await raw(s.url, `/v1/runs/${RUN}`)).json().status).toBe('running')
    const stream = readSse(s.url, `/v1/runs/${RUN}/events`, {onMessage: (m) => m.id === '4' && alive.kill()})
    const {events, end} = await stream
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
    expect(events.at(-1)).toMatchObject({type: 'run.finished', status: 'abandoned'})
    expect(end).toMatchObject({status: 'abandoned'})
    expect((await raw(s.url, `/v1/runs/${RUN}`)).json().status).toBe('abandoned')
  })

  it('lets a real EventSource client read a finished run once and stop: its reconnect gets 204', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML})
    seedRun(s.runsDir, RUN)
    const requests: string[] = []
    s.server.app.server.on('request', (req, res) => {
      res.on('finish', () => requests.push(`${req.headers['last-event-id'] ?? '-'} ${res.statusCode}`))
    })
    const source = new EventSource(`${s.url}/v1/runs/${RUN}/events`)
    const seqs: number[] = []
    source.onmessage = (message) => seqs.push(JSON.parse(message.data as string).seq)
    let ended = false
    source.addEventListener('end', () => (ended = true))
    // This client ignores `end` on purpose, as a careless one would, and relies on the 204.
    await eventually(() => source.readyState === source.CLOSED || undefined)
    expect(seqs).toEqual([1, 2])
    expect(ended).toBe(true)
    expect(requests).toEqual(['- 200', '2 204'])
    await new Promise((r) => setTimeout(r, 1500))
    expect(requests).toHaveLength(2)
  })
})
