import {execFileSync} from 'node:child_process'
import {createServer, type Server} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import {containerSpec, DEFAULT_PIDS_LIMIT} from '../../../../src/engine/executor/docker/container-spec.js'
import {listeningScript, serviceSpec} from '../../../../src/engine/executor/docker/services.js'
import type {Service} from '../../../../src/engine/pipeline/types.js'
import {job} from '../../../helpers/pipeline.js'

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

/** Exit code of the readiness script for `port`, run by this machine's sh against its own sockets. */
function check(port: number): number {
  try {
    execFileSync('sh', ['-c', listeningScript(port)], {stdio: 'ignore'})
    return 0
  } catch (error) {
    return (error as {status: number}).status
  }
}

async function listen(host: string): Promise<{server: Server; port: number}> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  cleanups.push(() => server.close())
  return {server, port: (server.address() as {port: number}).port}
}

describe('the TCP readiness check', () => {
  it('finds a socket listening on IPv4 or IPv6, and none on a closed port', async () => {
    const v4 = await listen('127.0.0.1')
    const v6 = await listen('::1').catch(() => undefined)
    expect(check(v4.port)).toBe(0)
    if (v6) expect(check(v6.port)).toBe(0)
    v4.server.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(check(v4.port)).toBe(1)
  })

  it('names the port in the kernel\'s spelling (four upper-case hex digits)', () => {
    expect(listeningScript(5432)).toContain('*:1538)')
    expect(listeningScript(80)).toContain('*:0050)')
  })
})

describe('serviceSpec', () => {
  const project = {id: '0123456789ab', dir: '/home/dev/app'}
  const db: Service = {
    name: 'db',
    image: 'postgres:16',
    env: {POSTGRES_DB: 'app'},
    secrets: ['DB_PASSWORD', 'UNSET'],
    command: ['postgres', '-c', 'fsync=off'],
    aliases: ['postgres', 'pg.local'],
    ready: {kind: 'default'},
    readyTimeoutMs: 30_000,
    readyIntervalMs: 1_000,
    resources: {memoryBytes: 64 * 1024 * 1024},
  }
  const options = {
    runId: '20261125T203015123Z-3f9a1c',
    job: job('test', {services: {db}}),
    policy: 'always_remove',
    project,
    network: 'orca-20261125T203015123Z-3f9a1c-test',
    secrets: {DB_PASSWORD: 'pw', OTHER: 'not given'},
    signal: new AbortController().signal,
  }
  const spec = serviceSpec(options, db, 'sha256:abc')

  it('hardens a service like a job and puts it on the job network under its name and aliases', () => {
    const jobHost = containerSpec(options.runId, options.job, 'always_remove', 'sha256:abc', project, options.network).HostConfig!
    const {Memory: _memory, NanoCpus: _cpus, PidsLimit: _pids, Mounts: _mounts, ...hardening} = jobHost
    expect(spec.HostConfig).toMatchObject(hardening)
    expect(spec.HostConfig).toMatchObject({Memory: 64 * 1024 * 1024, PidsLimit: DEFAULT_PIDS_LIMIT, NetworkMode: options.network})
    expect(spec.NetworkingConfig).toEqual({EndpointsConfig: {[options.network]: {Aliases: ['db', 'postgres', 'pg.local']}}})
    expect(spec.name).toBe('orca-20261125T203015123Z-3f9a1c-test.db')
  })

  it('labels it with its owner, job and name, and gives it only the secrets it lists', () => {
    expect(spec.Labels).toMatchObject({'orca.managed': 'true', 'orca.project': project.id, 'orca.project-dir': project.dir, 'orca.run': options.runId, 'orca.job': 'test', 'orca.service': 'db', 'orca.policy': 'always_remove'})
    expect(spec.Env).toEqual(['POSTGRES_DB=app', 'DB_PASSWORD=pw'])
    expect(spec.Cmd).toEqual(['postgres', '-c', 'fsync=off'])
    expect(spec).not.toHaveProperty('Entrypoint')
  })
})
