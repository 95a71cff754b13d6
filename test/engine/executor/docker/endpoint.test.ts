import {createHash} from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {modemOptions, resolveEndpoint} from '../../../../src/engine/executor/docker/endpoint.js'
import {engineRemoves, keepsContainer} from '../../../../src/engine/executor/docker/policy.js'
import {containerName, numericUser} from '../../../../src/engine/executor/docker/container-spec.js'
import {fetchRoots} from '../../../../src/engine/executor/docker/artifacts.js'

function files(map: Record<string, string>): (file: string) => string | undefined {
  return (file) => map[file]
}

const home = '/home/u'
const metaOf = (name: string): string =>
  `/home/u/.docker/contexts/meta/${createHash('sha256').update(name).digest('hex')}/meta.json`

describe('resolveEndpoint', () => {
  it('prefers the configured host, then DOCKER_HOST', () => {
    const env = {DOCKER_HOST: 'tcp://10.0.0.1:2375'}
    expect(resolveEndpoint({host: '/run/x.sock', env, homeDir: home, readFile: files({})})).toMatchObject({
      url: 'unix:///run/x.sock',
      source: 'config docker.host',
    })
    expect(resolveEndpoint({env, homeDir: home, readFile: files({})})).toMatchObject({url: 'tcp://10.0.0.1:2375', source: 'DOCKER_HOST'})
  })

  it('reads the current docker context from config.json and its meta file', () => {
    const readFile = files({
      '/home/u/.docker/config.json': JSON.stringify({currentContext: 'colima'}),
      [metaOf('colima')]: JSON.stringify({Name: 'colima', Endpoints: {docker: {Host: 'unix:///home/u/.colima/docker.sock'}}}),
    })
    expect(resolveEndpoint({env: {}, homeDir: home, readFile})).toMatchObject({
      url: 'unix:///home/u/.colima/docker.sock',
      source: 'docker context "colima"',
    })
  })

  it('lets DOCKER_CONTEXT override config.json', () => {
    const readFile = files({
      '/home/u/.docker/config.json': JSON.stringify({currentContext: 'colima'}),
      [metaOf('remote')]: JSON.stringify({Endpoints: {docker: {Host: 'ssh://me@build'}}}),
    })
    expect(resolveEndpoint({env: {DOCKER_CONTEXT: 'remote'}, homeDir: home, readFile}).url).toBe('ssh://me@build')
  })

  it('falls back to the default socket and notes a context it could not read', () => {
    const readFile = files({'/home/u/.docker/config.json': JSON.stringify({currentContext: 'gone'})})
    const endpoint = resolveEndpoint({env: {}, homeDir: home, readFile})
    expect(endpoint).toMatchObject({url: 'unix:///var/run/docker.sock', source: 'default socket'})
    expect(endpoint.notes.join()).toContain('docker context "gone"')
    expect(resolveEndpoint({env: {}, homeDir: home, readFile: files({})}).notes).toEqual([])
  })
})

describe('modemOptions', () => {
  it('maps unix, tcp, tls and ssh endpoints', () => {
    expect(modemOptions('unix:///var/run/docker.sock', {}, files({}))).toEqual({socketPath: '/var/run/docker.sock'})
    expect(modemOptions('tcp://127.0.0.1:2375', {}, files({}))).toEqual({protocol: 'http', host: '127.0.0.1', port: 2375})
    const certs = files({'/c/ca.pem': 'CA', '/c/cert.pem': 'CERT', '/c/key.pem': 'KEY'})
    expect(modemOptions('tcp://docker.example:2376', {DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/c'}, certs)).toEqual({
      protocol: 'https',
      host: 'docker.example',
      port: 2376,
      ca: 'CA',
      cert: 'CERT',
      key: 'KEY',
    })
    expect(modemOptions('ssh://me@build:2222', {SSH_AUTH_SOCK: '/agent'}, files({}))).toEqual({
      protocol: 'ssh',
      host: 'build',
      port: 2222,
      username: 'me',
      sshOptions: {agent: '/agent'},
    })
  })

  it('names a missing certificate and an unsupported scheme', () => {
    expect(() => modemOptions('tcp://h:2376', {DOCKER_CERT_PATH: '/c'}, files({}))).toThrow('/c/ca.pem')
    expect(() => modemOptions('ftp://h', {}, files({}))).toThrow(/unsupported scheme/)
  })
})

describe('keepsContainer', () => {
  it('follows the cleanup table', () => {
    const row = (policy: Parameters<typeof keepsContainer>[0]): boolean[] =>
      (['succeeded', 'failed', 'timed_out', 'cancelled'] as const).map((status) => keepsContainer(policy, status))
    expect(row('always_remove')).toEqual([false, false, false, false])
    expect(row('remove_on_completion')).toEqual([false, true, true, true])
    expect(row('keep_on_completion')).toEqual([true, false, false, false])
    expect(row('remove_on_timeout')).toEqual([true, true, false, false])
    expect(row('never_remove')).toEqual([true, true, true, true])
  })
})

describe('engineRemoves', () => {
  const plain = {services: {}, volumes: {}}
  it('leaves removal to the engine only for always_remove jobs read from nothing after they stop', () => {
    expect(engineRemoves(plain, 'always_remove', undefined)).toBe(true)
    expect(engineRemoves({...plain, artifactsWhen: 'on_success'}, 'always_remove', undefined)).toBe(true)
    // A policy that may keep the container: keeping it stops it first, which would remove it.
    for (const policy of ['remove_on_completion', 'keep_on_completion', 'remove_on_timeout', 'never_remove'] as const) expect(engineRemoves(plain, policy, undefined)).toBe(false)
    // Read after a timeout stopped the container: reports, outputs, artifacts of a failed or timed-out job.
    expect(engineRemoves({...plain, reports: {junit: ['r.xml']}}, 'always_remove', undefined)).toBe(false)
    expect(engineRemoves({...plain, outputs: ['x']}, 'always_remove', undefined)).toBe(false)
    expect(engineRemoves({...plain, artifactsWhen: 'always'}, 'always_remove', undefined)).toBe(false)
    expect(engineRemoves({...plain, artifactsWhen: 'on_failure'}, 'always_remove', undefined)).toBe(false)
    // Services: the job's network is removed once the container is off it.
    expect(engineRemoves(plain, 'always_remove', 'orca-net')).toBe(false)
    expect(engineRemoves({...plain, services: {db: {} as never}}, 'always_remove', undefined)).toBe(false)
    // A named volume stays in use until the container is gone: `orca clean --volumes` must find it free.
    expect(engineRemoves({...plain, volumes: {cache: '/cache'}}, 'always_remove', undefined)).toBe(false)
  })
})

describe('container details', () => {
  it('sanitises names and parses numeric users', () => {
    expect(containerName('20240101T000000Z:ab/c', 'build')).toBe('orca-20240101T000000Z-ab-c-build')
    expect(numericUser('1000')).toEqual({uid: 1000, gid: 1000})
    expect(numericUser('1000:50')).toEqual({uid: 1000, gid: 50})
    expect(numericUser('node')).toBeUndefined()
  })

  it('fetches each artifact folder once', () => {
    expect(fetchRoots(['dist/**', 'dist/sub/*.js', 'reports/*.xml'])).toEqual(['dist', 'reports'])
    expect(fetchRoots(['**/*.xml', 'dist/**'])).toEqual([''])
    expect(fetchRoots(['./out/app.js'])).toEqual(['out/app.js'])
  })
})
