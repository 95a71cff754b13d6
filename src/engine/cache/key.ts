import type {Job} from '../pipeline/types.js'
import {CACHE_FORMAT, canonicalJson, sha256} from './format.js'
import type {HashedInput} from './hash-inputs.js'

/** An input file as the key sees it. `mode` is st_mode in octal, e.g. `100644` (file) or `120777` (symlink). */
export interface ManifestInput {
  path: string
  mode: string
  sha256: string
}

/**
 * Everything a job's key covers (SPEC §5), kept next to each cache entry so `orca explain` can say
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
    env: {...job.env, ...parts.envOverrides},
    secrets: [...job.secrets].sort(),
    workdir: job.workdir,
    user: job.user ?? null,
    network: job.network,
    volumes: job.volumes,
    artifacts: job.artifacts,
    inputs: group ? [] : parts.inputs.map((i) => ({path: i.path, mode: i.mode.toString(8), sha256: i.sha256})),
    needs: parts.needs,
  }
}

/** SHA-256 (hex) of the manifest's canonical JSON: the job's cache key. */
export function keyOf(manifest: KeyManifest): string {
  return sha256(canonicalJson(manifest))
}
