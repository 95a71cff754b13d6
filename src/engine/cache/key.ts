import {createHash} from 'node:crypto'

import {nameTable} from '../name-table.js'
import type {Job} from '../pipeline/types.js'
import {CACHE_FORMAT, canonicalJson} from './format.js'
import type {HashedInput} from './hash-inputs.js'

/** An input file as the key sees it. `mode` is st_mode in octal, e.g. `100644` (file) or `120777` (symlink). */
export type ManifestInput = HashedInput

/**
 * Everything a job's key covers (docs/caching.md), kept next to each cache entry so `orca explain` can say
 * what changed. Timeouts, resources, cleanup and the contents of named volumes are not part of it:
 * they change whether or when a job ends, not what a succeeded job produces.
 */
export interface KeyManifest {
  format: number
  job: string
  /** null for a group job (no steps, no container). */
  image: string | null
  imageId: string | null
  steps: Array<{name: string; run: string; env: Record<string, string>; allowFailure: boolean}>
  /** Pipeline and job env with `-e` overrides applied; secrets are not here. */
  env: Record<string, string>
  /** Names only: a secret's value never reaches a key or the cache. */
  secrets: string[]
  workdir: string
  user: string | null
  network: string
  volumes: Record<string, string>
  artifacts: string[]
  /** Sorted by path. */
  inputs: ManifestInput[]
  /** Key of every needed job, by name. */
  needs: Record<string, string>
}

export interface KeyParts {
  job: Job
  /** The resolved image ID; ignored for a group job. */
  imageId: string | null
  envOverrides: Record<string, string>
  inputs: HashedInput[]
  needs: Record<string, string>
}

/** The normalised definition of a job plus its inputs and needs' keys. */
export function keyManifest(parts: KeyParts): KeyManifest {
  const {job} = parts
  const group = job.steps.length === 0
  return {
    format: CACHE_FORMAT,
    job: job.name,
    image: group ? null : job.image,
    imageId: group ? null : parts.imageId,
    steps: job.steps.map((s) => ({name: s.name, run: s.run, env: s.env, allowFailure: s.allowFailure})),
    env: nameTable(job.env, parts.envOverrides),
    secrets: [...job.secrets].sort(),
    workdir: job.workdir,
    user: job.user ?? null,
    network: job.network,
    volumes: job.volumes,
    artifacts: job.artifacts,
    inputs: group ? [] : parts.inputs,
    needs: parts.needs,
  }
}

/**
 * SHA-256 (hex) of the manifest's canonical JSON: the job's key. The inputs are serialised by
 * JSON.stringify with their keys listed in canonical order: sorting the keys of thousands of small
 * objects, or building each row by hand, took most of the time it took to key a job with many inputs.
 */
export function keyOf(manifest: KeyManifest): string {
  const hash = createHash('sha256')
  const keys = Object.keys(manifest).sort() as Array<keyof KeyManifest>
  hash.update('{')
  keys.forEach((key, i) => {
    hash.update(`${i === 0 ? '' : ','}${JSON.stringify(key)}:`)
    hash.update(key === 'inputs' ? JSON.stringify(manifest.inputs, INPUT_KEYS) : canonicalJson(manifest[key]))
  })
  return hash.update('}').digest('hex')
}

/** A ManifestInput's keys, sorted; as a JSON.stringify replacer it also fixes their order. */
const INPUT_KEYS: Array<keyof ManifestInput> = ['mode', 'path', 'sha256']
