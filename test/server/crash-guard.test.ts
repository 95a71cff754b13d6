import {describe, expect, it} from 'vitest'

import type {Executor, JobContext, JobOutcome} from '../../src/engine/executor/types.js'
import {eventually, gatedExecutor, WAIT_YML} from './gated-executor.js'
import {postJson, raw, readSse, serversPerTest, type TestServer} from './server-helpers.js'

const serve = serversPerTest()

/** An executor with a bug: its job "finishes" with no outcome at all, so the engine itself throws. */
function brokenExecutor(): () => Promise<Executor> {
  const executor: Executor = {
    async prepare() {
      return new Map()
    },
    async runJob(): Promise<JobOutcome> {
      return undefined as unknown as JobOutcome
    },
    async cleanup() {},
    async findLeaks() {
      return []
    },
  }
  return async () => executor
}

describe('one run failing unexpectedly', () => {
  it('is recorded failed (internal), its stream ends, and the server keeps answering', async () => {
    const s = await serve({'jobs.yml': WAIT_YML}, {executor: brokenExecutor()})
    const {id} = (await postJson(s.url, '/v1/runs', {})).json()
    const stream = await readSse(s.url, `/v1/runs/${id}/events`)
    expect(stream.events.at(-1)).toMatchObject({type: 'run.finished', status: 'failed', error: {kind: 'internal', message: expect.stringContaining('unexpected error')}})
    expect(stream.end).toMatchObject({status: 'failed'})
    const record = await eventually(async () => {
      const r = (await raw(s.url, `/v1/runs/${id}`)).json()
      return r.status === 'running' ? undefined : r
    })
    expect(record).toMatchObject({status: 'failed', error: {kind: 'internal'}})
    expect((await raw(s.url, '/healthz')).json()).toMatchObject({status: 'ok', running: 0, queued: 0})
    // The slot it held is free again: the next run starts and ends the same way.
    const next = (await postJson(s.url, '/v1/runs', {})).json()
    expect(next.state).toBe('running')
    expect((await readSse(s.url, next.eventsUrl)).events.at(-1)).toMatchObject({status: 'failed'})
  })

  it('fails the run whose work raised an error nothing caught, and only that run', async () => {
    const gate = gatedExecutor()
    const owners: Array<string | undefined> = []
    const server: {current?: TestServer} = {}
    const s = await serve({'jobs.yml': WAIT_YML}, {
      executor: async () => {
        const inner = await gate.factory()
        return {
          ...inner,
          async runJob(ctx: JobContext) {
            const outcome = inner.runJob(ctx)
            // As a library callback that throws would: later, from a timer the job's work set up.
            if (gate.started.length === 1) setTimeout(() => owners.push(server.current!.server.runs.failOwnerOf(new Error('socket blew up'))), 20)
            return outcome
          },
        }
      },
    })
    server.current = s
    const first = (await postJson(s.url, '/v1/runs', {})).json()
    await eventually(() => owners.length === 1 || undefined)
    const second = (await postJson(s.url, '/v1/runs', {})).json()
    await eventually(() => gate.started.length === 2 || undefined)
    expect(owners).toEqual([first.id])
    const failed = await readSse(s.url, first.eventsUrl)
    expect(failed.events.at(-1)).toMatchObject({type: 'run.finished', status: 'failed', error: {kind: 'internal', message: 'unexpected error: socket blew up'}})
    // The other run goes on, and an error raised outside any run fails none.
    expect(s.server.runs.failOwnerOf(new Error('stray'))).toBeUndefined()
    gate.open()
    expect((await readSse(s.url, second.eventsUrl)).events.at(-1)).toMatchObject({type: 'run.finished', status: 'succeeded'})
  })
})
