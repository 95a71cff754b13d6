import {describe, expect, it} from 'vitest'

import {containerName, containerSpec, DEFAULT_PIDS_LIMIT, KEPT_CAPABILITIES, stepCommand} from '../../../../src/engine/executor/docker/container-spec.js'
import type {Job} from '../../../../src/engine/pipeline/types.js'
import {job} from '../../../helpers/pipeline.js'

const project = {id: '0123456789ab', dir: '/home/dev/app'}
const spec = (j: Job) => containerSpec('20261125T203015123Z-3f9a1c', j, 'always_remove', 'sha256:abc', project)

describe('containerSpec', () => {
  it('hardens every job: no new privileges, a short capability list, a pids limit, no engine log, no privileged mode', () => {
    const host = spec(job('build')).HostConfig!
    expect(host.SecurityOpt).toEqual(['no-new-privileges'])
    expect(host.CapDrop).toEqual(['ALL'])
    expect(host.CapAdd).toEqual(KEPT_CAPABILITIES)
    for (const cap of ['NET_RAW', 'MKNOD', 'SYS_CHROOT', 'AUDIT_WRITE', 'SETFCAP', 'SETPCAP', 'SYS_ADMIN', 'NET_ADMIN']) expect(host.CapAdd).not.toContain(cap)
    expect(host.PidsLimit).toBe(DEFAULT_PIDS_LIMIT)
    expect(host.Privileged).toBe(false)
    // Step output (secrets included, before masking) passes through the container's output: no log driver may keep it.
    expect(host.LogConfig).toEqual({Type: 'none', Config: {}})
    expect(host.Init).toBe(true)
  })

  it('keeps the job in its own namespaces, with no devices and no host paths', () => {
    const host = spec(job('build')).HostConfig!
    expect(host.NetworkMode).toBe('bridge')
    expect(host.IpcMode).toBe('private')
    expect(host.PidMode).toBe('')
    expect(host.UsernsMode).toBe('')
    expect(host.Devices).toEqual([])
    expect(host.Binds).toEqual([])
    expect(host.ReadonlyRootfs).toBeUndefined()
  })

  it('mounts only named volumes, never the Docker socket or another host path', () => {
    const mounts = spec(job('build', {volumes: {'npm-cache': '/root/.npm'}})).HostConfig!.Mounts
    expect(mounts).toEqual([{Type: 'volume', Source: 'orca-0123456789ab-npm-cache', Target: '/root/.npm'}])
    expect(JSON.stringify(spec(job('build')))).not.toContain('docker.sock')
  })

  it("labels the container with its project's identity and folder, its run, job and owner", () => {
    expect(spec(job('build')).Labels).toMatchObject({
      'orca.managed': 'true',
      'orca.project': '0123456789ab',
      'orca.project-dir': '/home/dev/app',
      'orca.run': '20261125T203015123Z-3f9a1c',
      'orca.job': 'build',
      'orca.policy': 'always_remove',
      'orca.pid': String(process.pid),
    })
  })

  it('applies the job resources: cpus, memory and pids', () => {
    const host = spec(job('build', {resources: {cpus: 1.5, memoryBytes: 256 * 1024 ** 2, pids: 64}})).HostConfig!
    expect(host).toMatchObject({NanoCpus: 1_500_000_000, Memory: 256 * 1024 ** 2, PidsLimit: 64})
  })

  it('refuses a network other than bridge or none (host, container:...) from any caller', () => {
    for (const network of ['host', 'container:abc', 'default']) {
      expect(() => spec(job('build', {network: network as Job['network']}))).toThrow(/expected bridge or none/)
    }
    expect(spec(job('build', {network: 'none'})).HostConfig!.NetworkMode).toBe('none')
  })

  it('runs a step with sh -e, directly or writing to the container output followed by its marker', () => {
    expect(stepCommand('make test')).toEqual(['sh', '-e', '-c', 'make test'])
    const [shell, flag, script, zero, marker, run] = stepCommand('make test', '[m]')
    expect([shell, flag, zero, marker, run]).toEqual(['sh', '-c', 'sh', '[m]', 'make test'])
    expect(script).toContain('sh -e -c "$2" >/proc/1/fd/1 2>&1')
  })

  it('gives the engine socket only to a docker: true job, with DOCKER_HOST and its group, and nothing else of the hardening', () => {
    const socket = {path: '/run/user/docker.sock', gid: 998}
    const given = containerSpec('r', job('build', {docker: true}), 'always_remove', 'sha256:abc', project, undefined, 1, socket)
    expect(given.HostConfig!.Mounts).toContainEqual({Type: 'bind', Source: '/run/user/docker.sock', Target: '/var/run/docker.sock'})
    expect(given.HostConfig!.GroupAdd).toEqual(['998'])
    expect(given.Env).toEqual(['DOCKER_HOST=unix:///var/run/docker.sock'])
    expect(given.HostConfig!.Privileged).toBe(false)
    expect(given.HostConfig!.CapAdd).toEqual(KEPT_CAPABILITIES)
    const plain = spec(job('build')).HostConfig!
    expect(plain.Mounts!.some((m) => m.Type === 'bind')).toBe(false)
    expect(plain.GroupAdd).toBeUndefined()
  })

  it("names a retry's attempts apart from every job and service container", () => {
    expect(containerName('r', 'build')).toBe('orca-r-build')
    expect(containerName('r', 'build', 2)).toBe('orca-r-build.try_2')
    // A job name holds no ".", a service name no "_": neither can take an attempt's name.
    expect(spec(job('build', {})).name).toBe('orca-20261125T203015123Z-3f9a1c-build')
  })
})
