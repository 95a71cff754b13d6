import {createHash} from 'node:crypto'

import {nameTable, ownValue} from '../name-table.js'
import type {Job, ReadyCheck} from '../pipeline/types.js'
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
  /** `when` only where it is not the default, so keys of jobs without it did not change when it came. */
  steps: Array<{name: string; run: string; env: Record<string, string>; allowFailure: boolean; when?: string}>
  /** Pipeline and job env with `-e` overrides applied; secrets are not here. */
  env: Record<string, string>
  /** Names only: a secret's value never reaches a key or the cache. */
  secrets: string[]
  workdir: string
  user: string | null
  network: string
  volumes: Record<string, string>
  artifacts: string[]
  /** The keys below appear only when set, so keys of jobs without them did not change when they came. */
  artifactsWhen?: string
  reports?: {junit: string[]}
  outputs?: string[]
  needArtifacts?: Record<string, false | string[]>
  /** Sorted by path. */
  inputs: ManifestInput[]
  /** Key of every needed job, by name. */
  needs: Record<string, string>
  /** The job's services by name; absent when it has none, so jobs without services keep their keys. */
  services?: Record<string, ServiceManifest>
  /** The image's platform, when the job names one. */
  platform?: string
  /** An image built from the project: its definition and the files of its context (`.dockerignore` applied), sorted by path. */
  build?: BuildManifest
}

/** What a built image's job key covers: the build's definition and the content of its context. */
export interface BuildManifest {
  context: string
  dockerfile: string
  args: Record<string, string>
  target: string | null
  files: ManifestInput[]
}

/**
 * A service as its job's key sees it: what it is and how it starts. Its readiness check is here (it
 * decides when the steps start), its timeouts and resources are not (as for jobs).
 */
export interface ServiceManifest {
  image: string
  imageId: string | null
  env: Record<string, string>
  /** Names only. */
  secrets: string[]
  command: string[] | null
  entrypoint: string[] | null
  aliases: string[]
  ready: ReadyCheck
}

export interface KeyParts {
  job: Job
  /** The resolved image ID; ignored for a group job. */
  imageId: string | null
  envOverrides: Record<string, string>
  inputs: HashedInput[]
  needs: Record<string, string>
  /** The resolved image ID of each service, by service name; null (or absent) when unknown. */
  serviceImageIds?: Record<string, string | null>
  /** The hashed files of the job's image build context, when its image is built. */
  buildFiles?: ManifestInput[]
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
    steps: job.steps.map((s) => ({name: s.name, run: s.run, env: s.env, allowFailure: s.allowFailure, ...(s.when ? {when: s.when} : {})})),
    env: nameTable(job.env, parts.envOverrides),
    secrets: [...job.secrets].sort(),
    workdir: job.workdir,
    user: job.user ?? null,
    network: job.network,
    volumes: job.volumes,
    artifacts: job.artifacts,
    ...(job.artifactsWhen ? {artifactsWhen: job.artifactsWhen} : {}),
    ...(job.reports ? {reports: job.reports} : {}),
    ...(job.outputs ? {outputs: job.outputs} : {}),
    ...(job.needArtifacts ? {needArtifacts: job.needArtifacts} : {}),
    inputs: group ? [] : parts.inputs,
    needs: parts.needs,
    ...(Object.keys(job.services).length > 0 ? {services: serviceManifests(job, parts.serviceImageIds ?? {})} : {}),
    ...(!group && job.platform !== undefined ? {platform: job.platform} : {}),
    ...(!group && job.build ? {build: {...job.build, target: job.build.target ?? null, files: parts.buildFiles ?? []}} : {}),
  }
}

function serviceManifests(job: Job, imageIds: Record<string, string | null>): Record<string, ServiceManifest> {
  const services = nameTable<ServiceManifest>()
  for (const [name, service] of Object.entries(job.services)) {
    services[name] = {
      image: service.image,
      imageId: ownValue(imageIds, name) ?? null,
      env: service.env,
      secrets: [...service.secrets].sort(),
      command: service.command ?? null,
      entrypoint: service.entrypoint ?? null,
      aliases: service.aliases,
      ready: service.ready,
    }
  }
  return services
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
