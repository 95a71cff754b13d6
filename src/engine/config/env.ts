import * as path from 'node:path'

import {parseDuration} from '../duration.js'
import type {Diagnostic} from '../errors.js'
import {imageReferenceProblem} from '../pipeline/image-reference.js'
import {parseSize} from '../bytes.js'
import type {CleanupPolicy, PullPolicy} from '../pipeline/types.js'
import {CLEANUP_POLICIES, PULL_POLICIES} from '../pipeline/types.js'
import type {ConfigLayer} from './layers.js'

/** Where a remote cache is: an S3 bucket (and folder) or a Turborepo API server. Also in the config schema. */
export const REMOTE_CACHE_URL = /^(?:s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:\/.*)?|https?:\/\/\S+)$/
export const NAMESPACE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

type Parser = (value: string, cwd: string) => {value: unknown} | {expected: string}

const integer = (min: number, max = Number.MAX_SAFE_INTEGER): Parser => (value) => {
  const number = Number(value)
  return /^[0-9]+$/.test(value) && number >= min && number <= max ? {value: number} : {expected: `a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}`}
}
const text: Parser = (value) => ({value})
const directory: Parser = (value, cwd) => ({value: path.resolve(cwd, value)})
const image: Parser = (value) => {
  const problem = imageReferenceProblem(value)
  return problem === undefined ? {value} : {expected: `an image reference like "node:20" (this one ${problem})`}
}

/** Every ORCA_* variable orca reads, the setting it feeds and how it is parsed. */
export const ENV_VARIABLES: Record<string, [keyof ConfigLayer, Parser]> = {
  ORCA_RUNS_DIR: ['runsDir', directory],
  ORCA_CACHE_DIR: ['cacheDir', directory],
  ORCA_CONCURRENCY: ['concurrency', integer(1)],
  ORCA_DEFAULT_IMAGE: ['defaultImage', image],
  ORCA_DEFAULT_TIMEOUT: ['defaultTimeoutMs', (value) => {
    const ms = parseDuration(value)
    return ms === undefined ? {expected: 'a duration like "30m"'} : {value: ms}
  }],
  ORCA_CLEANUP: ['cleanup', (value) =>
    CLEANUP_POLICIES.includes(value as CleanupPolicy) ? {value} : {expected: `one of ${CLEANUP_POLICIES.join(', ')}`}],
  ORCA_PULL: ['defaultPull', (value) =>
    PULL_POLICIES.includes(value as PullPolicy) ? {value} : {expected: `one of ${PULL_POLICIES.join(', ')}`}],
  ORCA_DOCKER_HOST: ['dockerHost', text],
  ORCA_CACHE_MAX_SIZE: ['cacheMaxSizeBytes', (value) => {
    const bytes = parseSize(/^[0-9]+$/.test(value) ? Number(value) : value)
    return bytes === undefined ? {expected: 'a size like "10g"'} : {value: bytes}
  }],
  // The secret itself, e.g. from a CI secret: wins over cache.signing in a config file.
  ORCA_CACHE_SIGNING_KEY: ['cacheSigning', (value) => ({value: {hmac: {secret: value, from: 'ORCA_CACHE_SIGNING_KEY'}}})],
  // The attestation key: a PEM file's path, or the PEM itself (a CI secret).
  ORCA_SIGNING_KEY: ['provenanceKey', (value, cwd) => ({value: value.startsWith('-----BEGIN') ? {pem: value, from: 'ORCA_SIGNING_KEY'} : {file: path.resolve(cwd, value)}})],
  ORCA_REMOTE_CACHE_URL: ['remoteCacheUrl', (value) => (REMOTE_CACHE_URL.test(value) ? {value} : {expected: 'an s3://bucket/prefix or http(s):// URL'})],
  ORCA_REMOTE_CACHE_TEAM: ['remoteCacheTeam', text],
  ORCA_REMOTE_CACHE_NAMESPACE: ['remoteCacheNamespace', (value) => (NAMESPACE.test(value) ? {value} : {expected: 'letters, digits, _ and - (at most 64)'})],
  ORCA_REMOTE_CACHE_READ_ONLY: ['remoteCacheReadOnly', (value) =>
    ['1', 'true'].includes(value) ? {value: true} : ['0', 'false'].includes(value) ? {value: false} : {expected: 'true or false'}],
  ORCA_REMOTE_CACHE_ENDPOINT: ['remoteCacheEndpoint', text],
  ORCA_REMOTE_CACHE_REGION: ['remoteCacheRegion', text],
  ORCA_REMOTE_CACHE_TIMEOUT: ['remoteCacheTimeoutMs', (value) => {
    const ms = parseDuration(value)
    return ms === undefined || ms === 0 ? {expected: 'a duration like "10s"'} : {value: ms}
  }],
  ORCA_REMOTE_CACHE_RETRIES: ['remoteCacheRetries', integer(0, 10)],
  ORCA_SERVE_HOST: ['serveHost', text],
  ORCA_SERVE_PORT: ['servePort', integer(1, 65535)],
}

/** Reads the ORCA_* variables; an empty variable counts as unset. Relative dirs resolve against cwd. */
export function envLayer(env: NodeJS.ProcessEnv, cwd: string): {layer: ConfigLayer; diagnostics: Diagnostic[]} {
  const layer: Record<string, unknown> = {}
  const diagnostics: Diagnostic[] = []
  for (const [name, [key, parse]] of Object.entries(ENV_VARIABLES)) {
    const raw = env[name]?.trim()
    if (!raw) continue
    const parsed = parse(raw, cwd)
    if ('expected' in parsed) diagnostics.push({file: 'environment', path: name, message: `expected ${parsed.expected}, got ${JSON.stringify(raw)}`})
    else layer[key] = parsed.value
  }
  return {layer: layer as ConfigLayer, diagnostics}
}
