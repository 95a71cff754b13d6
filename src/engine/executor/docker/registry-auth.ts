import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

import {OrcaError} from '../../errors.js'
import type {RegistryLogin} from '../../config/types.js'

/** What the engine's `X-Registry-Auth` header carries for one registry. */
export type RegistryAuth = {serveraddress: string} & ({username: string; password: string} | {identitytoken: string})

/** Docker Hub's key in a Docker config file, as `docker login` writes it. */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/'

/** Where credentials are read from; the defaults are the process's own, tests give their own. */
export interface CredentialSources {
  env: NodeJS.ProcessEnv
  /** `registries:` from the orca configuration. */
  registries?: Record<string, RegistryLogin>
  homeDir?: string
  readFile?: (file: string) => string | undefined
  /** Runs `docker-credential-<helper> get` with the server on stdin; returns its stdout, or undefined when it failed. */
  runHelper?: (helper: string, server: string, env: NodeJS.ProcessEnv) => string | undefined
}

/** The registry host of an image reference: its first part when it looks like a host, else Docker Hub. */
export function registryOf(ref: string): string {
  const slash = ref.indexOf('/')
  if (slash === -1) return 'docker.io'
  const first = ref.slice(0, slash)
  return /[.:]/.test(first) || first === 'localhost' ? first : 'docker.io'
}

/**
 * The credentials for `registry`, looked up in this order: `ORCA_REGISTRY_AUTH` (JSON, for CI), the
 * orca configuration's `registries:`, then the user's Docker config (`$DOCKER_CONFIG/config.json`,
 * else `~/.docker/config.json`): a `credHelpers` entry, `auths` (base64 `user:password` or an
 * identity token), then `credsStore`. Undefined: pull anonymously.
 */
export function registryAuth(registry: string, sources: CredentialSources): RegistryAuth | undefined {
  const fromEnv = envAuth(registry, sources.env)
  if (fromEnv) return fromEnv
  const login = lookup(sources.registries, registry)
  if (login) {
    const password = sources.env[login.passwordEnv]
    if (password === undefined || password === '') {
      throw new OrcaError('config', `registries.${registry}: the variable ${login.passwordEnv} that holds its password is not set`)
    }
    return {serveraddress: registry, username: login.username, password}
  }
  return dockerConfigAuth(registry, sources)
}

/**
 * The passwords orca itself was given for registries (`ORCA_REGISTRY_AUTH`, the variables `registries:`
 * names): masked wherever a run writes, like secrets. Malformed values are reported when a pull reads them.
 */
export function registryPasswords(env: NodeJS.ProcessEnv, registries: Record<string, RegistryLogin> = {}): string[] {
  const found: string[] = []
  try {
    const parsed: unknown = JSON.parse(env.ORCA_REGISTRY_AUTH?.trim() || '{}')
    if (isRecord(parsed)) for (const entry of Object.values(parsed)) if (isRecord(entry) && typeof entry.password === 'string') found.push(entry.password)
  } catch {
    // Not JSON: the pull that reads it says so.
  }
  for (const login of Object.values(registries)) {
    const password = env[login.passwordEnv]
    if (password) found.push(password)
  }
  return found.filter((value) => value.length > 0)
}

/** registryAuth for one run: each registry asked once (a credential helper is a process). */
export function registryAuthOnce(sources: CredentialSources): (registry: string) => RegistryAuth | undefined {
  const memo = new Map<string, RegistryAuth | undefined>()
  return (registry) => {
    if (!memo.has(registry)) memo.set(registry, registryAuth(registry, sources))
    return memo.get(registry)
  }
}

/** `ORCA_REGISTRY_AUTH`: `{"HOST": {"username": "...", "password": "..."}}`. */
function envAuth(registry: string, env: NodeJS.ProcessEnv): RegistryAuth | undefined {
  const raw = env.ORCA_REGISTRY_AUTH?.trim()
  if (!raw) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    // The value is a secret: never quoted back.
    throw new OrcaError('config', 'ORCA_REGISTRY_AUTH: expected JSON like {"ghcr.io": {"username": "me", "password": "token"}}')
  }
  const entry = isRecord(parsed) ? lookup(parsed, registry) : undefined
  if (entry === undefined) return undefined
  if (!isRecord(entry) || typeof entry.username !== 'string' || typeof entry.password !== 'string') {
    throw new OrcaError('config', `ORCA_REGISTRY_AUTH: the entry of ${registry} needs a "username" and a "password" (strings)`)
  }
  return {serveraddress: registry, username: entry.username, password: entry.password}
}

interface DockerConfigFile {
  auths?: Record<string, {auth?: string; identitytoken?: string; username?: string; password?: string}>
  credHelpers?: Record<string, string>
  credsStore?: string
}

function dockerConfigAuth(registry: string, sources: CredentialSources): RegistryAuth | undefined {
  const readFile = sources.readFile ?? readText
  const dir = sources.env.DOCKER_CONFIG?.trim() || path.join(sources.homeDir ?? os.homedir(), '.docker')
  const file = path.join(dir, 'config.json')
  const text = readFile(file)
  if (text === undefined) return undefined
  let config: DockerConfigFile
  try {
    config = JSON.parse(text) as DockerConfigFile
  } catch (error) {
    throw new OrcaError('config', `${file}: not valid JSON (${(error as Error).message})`)
  }
  const server = registry === 'docker.io' ? DOCKER_HUB_KEY : registry
  const helper = lookup(config.credHelpers, registry) ?? lookup(config.credHelpers, server)
  if (helper) return helperAuth(helper, server, sources)
  const entry = lookup(config.auths, server) ?? lookup(config.auths, registry) ?? lookup(config.auths, `https://${registry}`) ?? lookup(config.auths, `http://${registry}`)
  if (entry?.identitytoken) return {serveraddress: server, identitytoken: entry.identitytoken}
  if (entry?.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon <= 0) throw new OrcaError('config', `${file}: auths.${server}.auth is not base64 of "user:password"`)
    return {serveraddress: server, username: decoded.slice(0, colon), password: decoded.slice(colon + 1)}
  }
  if (entry?.username !== undefined && entry.password !== undefined) return {serveraddress: server, username: entry.username, password: entry.password}
  if (config.credsStore) return helperAuth(config.credsStore, server, sources, true)
  return undefined
}

/** Asks `docker-credential-<helper>`; a store that knows nothing of the server is no credentials (as docker does). */
function helperAuth(helper: string, server: string, sources: CredentialSources, optional = false): RegistryAuth | undefined {
  if (!/^[A-Za-z0-9_.-]+$/.test(helper)) throw new OrcaError('config', `credential helper ${JSON.stringify(helper)} is not a plain program name`)
  const out = (sources.runHelper ?? runHelper)(helper, server, sources.env)
  if (out === undefined) {
    if (optional) return undefined
    throw new OrcaError('infra', `the credential helper docker-credential-${helper} gave no credentials for ${server}`, {
      hint: `check it is on PATH and that you are logged in (docker login${server === DOCKER_HUB_KEY ? '' : ` ${server}`})`,
    })
  }
  let answer: unknown
  try {
    answer = JSON.parse(out)
  } catch {
    throw new OrcaError('infra', `the credential helper docker-credential-${helper} answered something that is not JSON`)
  }
  if (!isRecord(answer) || typeof answer.Username !== 'string' || typeof answer.Secret !== 'string') {
    throw new OrcaError('infra', `the credential helper docker-credential-${helper} answered without Username and Secret`)
  }
  // Docker's convention: the user name "<token>" means the secret is an identity token.
  if (answer.Username === '<token>') return {serveraddress: server, identitytoken: answer.Secret}
  return {serveraddress: server, username: answer.Username, password: answer.Secret}
}

function runHelper(helper: string, server: string, env: NodeJS.ProcessEnv): string | undefined {
  const result = spawnSync(`docker-credential-${helper}`, ['get'], {input: server, env, encoding: 'utf8', timeout: 30_000})
  return result.status === 0 ? result.stdout : undefined
}

/** An own property of a table read from a user's file (never one of Object's). */
function lookup<T>(table: Record<string, T> | undefined, key: string): T | undefined {
  return table !== undefined && Object.hasOwn(table, key) ? table[key] : undefined
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}
