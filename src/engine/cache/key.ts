import {createHash} from 'node:crypto'

import type {HostKeyOutput} from '../executor/host/key-commands.js'
import {nameTable, ownValue} from '../name-table.js'
import {runsOnHost, type Job, type ReadyCheck} from '../pipeline/types.js'
import {CACHE_FORMAT, canonicalJson} from './format.js'
import type {HashedInput} from './hash-inputs.js'
import type {GitState} from '../plan/git-state.js'

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
  steps: Array<{name: string; run: string; env: Record<string, string>; allowFailure: boolean; when?: string; shell?: string}>
  /** Pipeline and job env with `-e` overrides applied; secrets are not here. */
  env: Record<string, string>
  /** Names only: a secret's value never reaches a key or the cache. An optional secret that is not set is not here. */
  secrets: string[]
  /** `pass_env` variables that are not secrets, to their values (null: not set); absent when the job passes none. */
  passEnv?: Record<string, string | null>
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
  /** A `runs-on: host` job's key commands and what each printed; absent for a container job, so their keys did not change. */
  host?: {key: HostKeyOutput[]}
  /** With `git:`: the history's depth (null: all of it) and the repository's state, never `.git`'s bytes. */
  git?: GitKey
  /** With `docker: true`: the job has the host's engine. */
  docker?: true
}

/** What a built image's job key covers: the build's definition and the content of its context. */
export interface BuildManifest {
  context: string
  dockerfile: string
  args: Record<string, string>
  target: string | null
  files: ManifestInput[]
}

/** What a job with `git:` is keyed by. */
export type GitKey = GitState & {depth: number | null}

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
  /** A host job's key commands with their output (see runHostKey). */
  hostKey?: HostKeyOutput[]
  /** The repository's state, for a job with `git:`. */
  git?: GitKey
}

/**
 * Whether a job's result may be reused: not with `cache: false`, and not for a host job without key
 * commands, whose toolchain nothing identifies (the host is not hermetic, so it always runs).
 */
export function usesCache(job: Job): boolean {
  return job.cache && !hostWithoutKey(job)
}

/** A `runs-on: host` job that declares no `host.key` commands: never cached. */
export function hostWithoutKey(job: Job): boolean {
  return runsOnHost(job) && (job.hostKey ?? []).length === 0
}

/** What a plan says of a job that never uses the cache. */
export function uncachedReason(job: Job): string {
  return hostWithoutKey(job) ? 'host job without key commands: always runs' : 'cache: false'
}

/** The normalised definition of a job plus its inputs and needs' keys. */
export function keyManifest(parts: KeyParts): KeyManifest {
  const {job} = parts
  // Neither a group job nor a host job runs in an image.
  const group = job.steps.length === 0
  const imageless = group || runsOnHost(job)
  return {
    format: CACHE_FORMAT,
    job: job.name,
    image: imageless ? null : job.image,
    imageId: imageless ? null : parts.imageId,
    steps: job.steps.map((s) => ({name: s.name, run: s.run, env: s.env, allowFailure: s.allowFailure, ...(s.when ? {when: s.when} : {}), ...(s.shell ? {shell: s.shell} : {})})),
    env: nameTable(job.env, parts.envOverrides),
    secrets: [...job.secrets].sort(),
    ...(job.host && Object.keys(job.host.passEnv).length > 0 ? {passEnv: job.host.passEnv} : {}),
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
    ...(runsOnHost(job) && !group ? {host: {key: parts.hostKey ?? []}} : {}),
    ...(parts.git && !group ? {git: parts.git} : {}),
    ...(job.docker && !group ? {docker: true as const} : {}),
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
const INPUT_KEYS: Array<keyof ManifestInput> = ['git', 'mode', 'path', 'sha256']
