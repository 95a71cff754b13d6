import {rmSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {afterEach, describe, expect, it} from 'vitest'

import {orca} from '../e2e/cli.js'
import {startServe, type ServeProcess} from '../e2e/serve-process.js'
import {labelledContainers, Projects, removeContainers} from './support.js'
import {tally} from './tally.js'

const TOKEN = 'fault-suite-token-0123456789'
const auth = {authorization: `Bearer ${TOKEN}`}
const json = {...auth, 'content-type': 'application/json'}
const FILES = {
  'jobs.yml': 'version: 1\nimage: busybox:1.36\njobs:\n  a:\n    steps: [echo]\n',
  // Three sandboxes of the token at once: the per-key cap (2 by default) must allow them.
  'orca.config.yml': 'serve:\n  limits:\n    concurrency: 3\n  sandboxes:\n    images: ["busybox:1.36"]\n    network: false\n',
}

const projects = new Projects()
const servers: ServeProcess[] = []
const made: string[] = []

afterEach(() => {
  for (const server of servers.splice(0)) if (server.child.exitCode === null) server.child.kill('SIGKILL')
  // Whatever an assertion left behind: the containers of every sandbox these tests made.
  for (const id of made.splice(0)) removeContainers(labelledContainers([`orca.sandbox=${id}`]))
  projects.removeAll()
})

async function serve(dir: string): Promise<ServeProcess> {
  const server = await startServe(dir, [], {ORCA_TOKEN: TOKEN})
  servers.push(server)
  return server
}

interface Sandbox {
  id: string
  state: string
}

async function create(server: ServeProcess, ttl: string): Promise<{id: string; expiresAt: string}> {
  const response = await fetch(`${server.url}/v1/sandboxes`, {method: 'POST', headers: json, body: JSON.stringify({image: 'busybox:1.36', ttl})})
  expect(response.status).toBe(201)
  const sandbox = (await response.json()) as {id: string; expiresAt: string}
  made.push(sandbox.id)
  return sandbox
}

/**
 * A sandbox made last, whose time-to-live (long enough to outlast its own creation under load) ends
 * only after the server is killed, so that no reaper of the killed server can have seen it expire.
 */
async function expiringAfterKill(server: ServeProcess): Promise<{id: string; expiresAt: string}> {
  const sandbox = await create(server, '8s')
  await killed(server)
  return sandbox
}

async function untilPast(time: string): Promise<void> {
  await sleep(Math.max(0, Date.parse(time) - Date.now()) + 500)
}

async function killed(server: ServeProcess): Promise<void> {
  server.child.kill('SIGKILL')
  await server.exit
}

async function stateOf(server: ServeProcess, id: string): Promise<string> {
  const response = await fetch(`${server.url}/v1/sandboxes/${id}`, {headers: auth})
  return response.status === 404 ? 'none' : ((await response.json()) as Sandbox).state
}

/** Polls until `id` reaches `state` (the restarted server reconciles at start and every 2 s). */
async function settles(server: ServeProcess, id: string, state: string): Promise<string> {
  let seen = ''
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(250)) {
    seen = await stateOf(server, id)
    if (seen === state) break
  }
  return seen
}

describe('orca serve killed with live sandboxes', () => {
  it('a restarted server lists the live sandbox, reaps the expired one and the one whose record is lost; nothing is left after delete', async () => {
    const dir = projects.create(FILES)
    const first = await serve(dir)
    const {id: live} = await create(first, '1h')
    const {id: unrecorded} = await create(first, '1h')
    const {id: expiring, expiresAt} = await expiringAfterKill(first)
    // While no server runs: one sandbox's time passes, another's record is lost.
    rmSync(join(dir, '.orca', 'sandboxes', `${unrecorded}.json`))
    await untilPast(expiresAt)
    expect(labelledContainers([`orca.sandbox=${expiring}`])).toHaveLength(1)

    const second = await serve(dir)
    expect(await settles(second, expiring, 'expired')).toBe('expired')
    expect(await stateOf(second, live)).toBe('running')
    for (const id of [expiring, unrecorded]) expect(labelledContainers([`orca.sandbox=${id}`])).toEqual([])
    // The live one still works after the restart.
    const exec = await fetch(`${second.url}/v1/sandboxes/${live}/exec`, {method: 'POST', headers: json, body: JSON.stringify({cmd: ['echo', 'still here']})})
    expect(await exec.text()).toContain('still here')

    expect((await fetch(`${second.url}/v1/sandboxes/${live}`, {method: 'DELETE', headers: auth})).status).toBe(204)
    expect(labelledContainers([`orca.project-dir=${dir}`])).toEqual([])
    tally('sandboxes reconciled after a kill', 3)
  })

  it('with no server left, orca clean --leaks reaps expired sandboxes and keeps live ones', async () => {
    const dir = projects.create(FILES)
    const server = await serve(dir)
    const {id: live} = await create(server, '1h')
    const {id: expiring, expiresAt} = await expiringAfterKill(server)
    await untilPast(expiresAt)

    const dry = await orca(['clean', '--leaks', '--dry-run'], {cwd: dir})
    expect(dry.code).toBe(0)
    expect(dry.stdout + dry.stderr).toContain(expiring)
    expect(labelledContainers([`orca.sandbox=${expiring}`])).toHaveLength(1)

    const cleaned = await orca(['clean', '--leaks'], {cwd: dir})
    expect(cleaned.code).toBe(0)
    expect(labelledContainers([`orca.sandbox=${expiring}`])).toEqual([])
    expect(labelledContainers([`orca.sandbox=${live}`])).toHaveLength(1)
    // The leak sweep never takes a live sandbox for a leak (it belongs to no run).
    expect(cleaned.stdout + cleaned.stderr).not.toContain(live)
    tally('sandboxes reconciled after a kill')
  })
})
