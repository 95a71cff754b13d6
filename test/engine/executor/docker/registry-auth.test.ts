import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {DOCKER_HUB_KEY, registryAuth, registryOf, registryPasswords, type CredentialSources} from '../../../../src/engine/executor/docker/registry-auth.js'

const base64 = (text: string): string => Buffer.from(text).toString('base64')

/** A folder holding a Docker config.json with `config`, used as DOCKER_CONFIG. */
const folders: string[] = []
function dockerConfig(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'orca-docker-config-'))
  folders.push(dir)
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config))
  return dir
}
afterAll(() => folders.forEach((dir) => rmSync(dir, {recursive: true, force: true})))

/** A `docker-credential-<name>` script on PATH that answers for one server and logs what it was asked. */
function fakeHelper(name: string, answers: Record<string, {Username: string; Secret: string}>): {path: string; asked: string} {
  const dir = mkdtempSync(join(tmpdir(), 'orca-cred-helper-'))
  folders.push(dir)
  const asked = join(dir, 'asked')
  const script = join(dir, `docker-credential-${name}`)
  const cases = Object.entries(answers)
    .map(([server, answer]) => `  ${JSON.stringify(server)}) echo '${JSON.stringify(answer)}' ;;`)
    .join('\n')
  writeFileSync(script, `#!/bin/sh\n[ "$1" = get ] || exit 3\nread server\necho "$server" >> ${asked}\ncase "$server" in\n${cases}\n  *) echo "credentials not found in native keychain" >&2; exit 1 ;;\nesac\n`)
  chmodSync(script, 0o755)
  return {path: dir, asked}
}

function sources(env: NodeJS.ProcessEnv, extra: Partial<CredentialSources> = {}): CredentialSources {
  return {env: {PATH: process.env.PATH, ...env}, homeDir: '/nonexistent-home', ...extra}
}

describe('registryOf', () => {
  it('reads the registry host of a reference, Docker Hub for short names', () => {
    expect(registryOf('node:20')).toBe('docker.io')
    expect(registryOf('library/node:20')).toBe('docker.io')
    expect(registryOf('ghcr.io/acme/tool:1')).toBe('ghcr.io')
    expect(registryOf('127.0.0.1:5000/app')).toBe('127.0.0.1:5000')
    expect(registryOf('localhost/app')).toBe('localhost')
  })
})

describe('registryAuth', () => {
  it("decodes a Docker config's auths entry (base64 user:password; the password may hold a colon)", () => {
    const dir = dockerConfig({auths: {'127.0.0.1:5000': {auth: base64('ci:pa:ss')}}})
    expect(registryAuth('127.0.0.1:5000', sources({DOCKER_CONFIG: dir}))).toEqual({serveraddress: '127.0.0.1:5000', username: 'ci', password: 'pa:ss'})
    expect(registryAuth('ghcr.io', sources({DOCKER_CONFIG: dir}))).toBeUndefined()
  })

  it("finds Docker Hub under the key docker login writes, and an identity token as a token", () => {
    const dir = dockerConfig({auths: {[DOCKER_HUB_KEY]: {identitytoken: 'tok'}}})
    expect(registryAuth('docker.io', sources({DOCKER_CONFIG: dir}))).toEqual({serveraddress: DOCKER_HUB_KEY, identitytoken: 'tok'})
  })

  it('reads ~/.docker/config.json when DOCKER_CONFIG is not set', () => {
    const files: Record<string, string> = {'/home/me/.docker/config.json': JSON.stringify({auths: {'ghcr.io': {auth: base64('me:secret')}}})}
    expect(registryAuth('ghcr.io', sources({}, {homeDir: '/home/me', readFile: (f) => files[f]}))).toMatchObject({username: 'me'})
  })

  it('asks the credential helper credHelpers names for the registry, on stdin, through PATH', () => {
    const helper = fakeHelper('orcatest', {'registry.example.com': {Username: 'bot', Secret: 's3'}})
    const dir = dockerConfig({credHelpers: {'registry.example.com': 'orcatest'}, auths: {'registry.example.com': {auth: base64('stale:stale')}}})
    const env = {DOCKER_CONFIG: dir, PATH: `${helper.path}:${process.env.PATH}`}
    expect(registryAuth('registry.example.com', sources(env))).toEqual({serveraddress: 'registry.example.com', username: 'bot', password: 's3'})
  })

  it("takes a helper's <token> user name as an identity token, and falls back to credsStore for other registries", () => {
    const helper = fakeHelper('storetest', {'ghcr.io': {Username: '<token>', Secret: 'idtok'}})
    const dir = dockerConfig({credsStore: 'storetest'})
    const env = {DOCKER_CONFIG: dir, PATH: `${helper.path}:${process.env.PATH}`}
    expect(registryAuth('ghcr.io', sources(env))).toEqual({serveraddress: 'ghcr.io', identitytoken: 'idtok'})
    // A store that knows nothing of a registry means no credentials, as for docker pull.
    expect(registryAuth('quay.io', sources(env))).toBeUndefined()
  })

  it('says which helper failed when credHelpers names one that gives nothing', () => {
    const dir = dockerConfig({credHelpers: {'ghcr.io': 'absent-helper-xyz'}})
    expect(() => registryAuth('ghcr.io', sources({DOCKER_CONFIG: dir}))).toThrow('the credential helper docker-credential-absent-helper-xyz gave no credentials for ghcr.io')
  })

  it('prefers ORCA_REGISTRY_AUTH, then registries: from the config, over Docker config', () => {
    const dir = dockerConfig({auths: {'ghcr.io': {auth: base64('docker:user')}}})
    const env = {DOCKER_CONFIG: dir, ORCA_REGISTRY_AUTH: JSON.stringify({'ghcr.io': {username: 'ci', password: 'from-env'}}), GHCR_TOKEN: 'from-config'}
    const registries = {'ghcr.io': {username: 'cfg', passwordEnv: 'GHCR_TOKEN'}}
    expect(registryAuth('ghcr.io', sources(env, {registries}))).toMatchObject({username: 'ci', password: 'from-env'})
    expect(registryAuth('ghcr.io', sources({...env, ORCA_REGISTRY_AUTH: ''}, {registries}))).toMatchObject({username: 'cfg', password: 'from-config'})
    expect(registryAuth('ghcr.io', sources({...env, ORCA_REGISTRY_AUTH: ''}))).toMatchObject({username: 'docker', password: 'user'})
  })

  it('refuses malformed ORCA_REGISTRY_AUTH without quoting it, and a registries: entry whose variable is unset', () => {
    expect(() => registryAuth('ghcr.io', sources({ORCA_REGISTRY_AUTH: 'hunter2'}))).toThrow(/^ORCA_REGISTRY_AUTH: expected JSON like/)
    expect(() => registryAuth('ghcr.io', sources({ORCA_REGISTRY_AUTH: 'hunter2'}))).not.toThrow(/hunter2/)
    expect(() => registryAuth('ghcr.io', sources({}, {registries: {'ghcr.io': {username: 'u', passwordEnv: 'NOPE_UNSET'}}}))).toThrow('registries.ghcr.io: the variable NOPE_UNSET that holds its password is not set')
  })

  it('does not take a registry named like an Object property from the prototype', () => {
    const dir = dockerConfig({auths: {}})
    expect(registryAuth('constructor', sources({DOCKER_CONFIG: dir}))).toBeUndefined()
  })
})

describe('registryPasswords', () => {
  it('lists the passwords orca was given, to be masked', () => {
    const env = {ORCA_REGISTRY_AUTH: JSON.stringify({a: {username: 'u', password: 'p1'}}), TOKEN: 'p2'}
    expect(registryPasswords(env, {b: {username: 'u', passwordEnv: 'TOKEN'}})).toEqual(['p1', 'p2'])
    expect(registryPasswords({ORCA_REGISTRY_AUTH: 'not json'})).toEqual([])
  })
})
