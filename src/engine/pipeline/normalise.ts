import * as path from 'node:path'

import {parseDuration} from '../duration.js'
import {nameTable, ownValue} from '../name-table.js'
import type {ExpandedJob, ExpandedJobs} from './expand.js'
import type {CleanupPolicy, ImageBuild, Job, Pipeline, PipelineDefaults, PullPolicy, ReadyCheck, Resources, Service, Step, VolumeKeySource} from './types.js'
import {DEFAULT_READY_INTERVAL_MS, DEFAULT_READY_TIMEOUT_MS, DEFAULT_WORKDIR} from './types.js'
import {needNames, type RawEnv, type RawImage, type RawJob, type RawPipeline, type RawResources, type RawSecret, type RawService, type RawServices, type RawStep} from './raw.js'
import {DEFAULT_SHELL} from './shell.js'
import {parseSize} from '../bytes.js'
import type {YamlSource} from './yaml-source.js'
import {position} from './yaml-source.js'

const STEP_NAME_MAX = 40
/** What `retry:` retries when it does not say: every ending but a cancel. */
const RETRY_WHEN = ['failure', 'timed_out', 'infra'] as const

/**
 * Turns a validated jobs.yml into the engine's Pipeline: defaults applied, durations in ms, steps named,
 * each matrix job replaced by its expansions (`expanded`, from expandJobs; by default every job as written).
 */
export function normalisePipeline(raw: RawPipeline, absFile: string, defaults: PipelineDefaults, source?: YamlSource, expanded?: ExpandedJobs): Pipeline {
  const jobs = new Map<string, Job>()
  const pipelineEnv = normaliseEnv(raw.env)
  const list = expanded?.jobs ?? Object.entries(raw.jobs).map(([name, job]): ExpandedJob => ({id: name, origin: name, raw: job}))
  const matrices = nameTable<string[]>(Object.fromEntries(expanded?.groups ?? []))
  // A need naming a matrix job is a need of every expansion.
  const expand = (need: string): string[] => ownValue(matrices, need) ?? [need]
  const needsOf = (job: RawJob): string[] => [...new Set(needNames(job.needs).flatMap(expand))]
  for (const job of list) {
    const normal = normaliseJob(job, needsOf(job.raw), raw, pipelineEnv, defaults, source)
    const chosen = chosenArtifacts(job.raw, expand)
    if (chosen) normal.needArtifacts = chosen
    jobs.set(job.id, normal)
  }
  return {file: absFile, projectDir: path.dirname(absFile), version: 1, jobs, ...(expanded && expanded.groups.size > 0 ? {matrices} : {})}
}

function normaliseJob(expanded: ExpandedJob, needs: string[], raw: RawPipeline, pipelineEnv: Record<string, string>, defaults: PipelineDefaults, source?: YamlSource): Job {
  const {id: name, raw: job} = expanded
  const host = job['runs-on'] === 'host'
  const normal: Job = {
    name,
    // A group job (no steps) never starts a container, so it may have no image at all; nor does a host job.
    image: '',
    needs,
    env: nameTable(pipelineEnv, normaliseEnv(job.env)),
    secrets: [...new Set((job.secrets ?? []).map(secretName))],
    workdir: job.workdir ?? DEFAULT_WORKDIR,
    timeoutMs: (job.timeout === undefined ? undefined : parseDuration(job.timeout)) ?? defaults.timeoutMs,
    cleanup: (job.cleanup as CleanupPolicy | undefined) ?? defaults.cleanup,
    ...(job.keep_for === undefined ? {} : {keepForMs: parseDuration(job.keep_for)}),
    cache: job.cache ?? true,
    resources: normaliseResources(job.resources, defaults.resources),
    network: job.network ?? 'bridge',
    // A group job starts no container, so it has no services either; nor does a host job (top-level ones included).
    services: job.steps?.length && !host ? normaliseServices(raw.services, job.services, defaults.resources) : nameTable(),
    ...normaliseVolumes(job.volumes),
    steps: (job.steps ?? []).map((step) => normaliseStep(step, job.shell)),
    artifacts: (Array.isArray(job.artifacts) ? job.artifacts : job.artifacts?.paths) ?? [],
  }
  if (!host) Object.assign(normal, normaliseImage(job.image ?? raw.image ?? defaults.image, job.pull ?? raw.pull ?? defaults.pull, job.platform ?? raw.platform))
  const artifactsWhen = Array.isArray(job.artifacts) ? undefined : job.artifacts?.when
  if (artifactsWhen !== undefined && artifactsWhen !== 'on_success') normal.artifactsWhen = artifactsWhen
  if (job.reports?.junit !== undefined) normal.reports = {junit: job.reports.junit}
  if (job.outputs !== undefined && job.outputs.length > 0) normal.outputs = job.outputs
  if (job.inputs !== undefined) normal.inputs = job.inputs
  const optional = (job.secrets ?? []).filter((s) => typeof s === 'object' && s.required === false).map(secretName)
  // A name listed both ways is required: the stricter reading wins.
  const required = new Set((job.secrets ?? []).filter((s) => typeof s === 'string' || s.required !== false).map(secretName))
  const optionalOnly = [...new Set(optional)].filter((name) => !required.has(name))
  if (optionalOnly.length > 0) normal.optionalSecrets = optionalOnly
  const envFiles = job.env_file === undefined ? [] : [job.env_file].flat()
  if (envFiles.length > 0) normal.envFiles = [...new Set(envFiles.map((file) => path.posix.normalize(file)))]
  if (job.pass_env !== undefined && job.pass_env.length > 0) normal.passEnv = [...new Set(job.pass_env)]
  if (job.user !== undefined) normal.user = job.user
  if (host) normal.runsOn = 'host'
  if (host && job.host?.key !== undefined) normal.hostKey = job.host.key
  if (job.git !== undefined && job.git !== false) normal.git = job.git === true ? {} : {depth: job.git.depth}
  if (job.docker === true) normal.docker = true
  const retry = typeof job.retry === 'number' ? {max: job.retry} : job.retry
  if (retry !== undefined && retry.max > 0) normal.retry = {max: retry.max, when: retry.when ? [...new Set(retry.when)] : [...RETRY_WHEN]}
  if (expanded.displayName !== undefined) normal.displayName = expanded.displayName
  if (expanded.expansion) {
    normal.matrix = {job: expanded.origin, values: nameTable(expanded.expansion.values)}
    if (job['max-parallel'] !== undefined) normal.matrix.maxParallel = job['max-parallel']
  }
  if (job.when !== undefined && job.when !== 'on_success') normal.when = job.when
  if (expanded.condition) normal.condition = expanded.condition
  if (source) normal.position = position(source, ['jobs', expanded.origin], 'key')
  return normal
}

/** A job's image, its build when it is built, its pull policy (only when not the default) and platform. */
function normaliseImage(image: RawImage | undefined, pull: PullPolicy | undefined, platform: string | undefined): Pick<Job, 'image' | 'build' | 'pull' | 'platform'> {
  const normal: Pick<Job, 'image' | 'build' | 'pull' | 'platform'> = {image: typeof image === 'string' ? image : ''}
  if (typeof image === 'object') {
    const context = path.posix.normalize((image.build.context ?? '.').replaceAll('\\', '/')).replace(/\/+$/, '') || '.'
    const build: ImageBuild = {context, dockerfile: path.posix.normalize(image.build.dockerfile ?? 'Dockerfile'), args: normaliseEnv(image.build.args)}
    if (image.build.target !== undefined) build.target = image.build.target
    normal.build = build
    normal.image = buildLabel(build)
  }
  if (pull !== undefined && pull !== 'missing') normal.pull = pull
  if (platform !== undefined) normal.platform = platform
  return normal
}

/** How a built image is named where a reference would be (events, records, views): `build:<context>[:<dockerfile>][#<target>]`. */
export function buildLabel(build: ImageBuild): string {
  return `build:${build.context}${build.dockerfile === 'Dockerfile' ? '' : `:${build.dockerfile}`}${build.target === undefined ? '' : `#${build.target}`}`
}

/** `needs: [{job, artifacts}]`: what is taken from each need that says (a matrix need: from each expansion). */
function chosenArtifacts(job: RawJob, expand: (need: string) => string[]): Record<string, false | string[]> | undefined {
  const chosen = nameTable<false | string[]>()
  for (const need of job.needs ?? []) {
    if (typeof need === 'string' || need.artifacts === undefined || need.artifacts === true) continue
    for (const name of expand(need.job)) chosen[name] = need.artifacts
  }
  return Object.keys(chosen).length > 0 ? chosen : undefined
}

/** The configured defaults, overridden key by key by the values given. */
function normaliseResources(given: RawResources | undefined, defaults: Resources | undefined): Resources {
  const resources: Resources = {...defaults}
  if (given?.cpus !== undefined) resources.cpus = given.cpus
  if (given?.pids !== undefined) resources.pids = given.pids
  if (given?.memory !== undefined) resources.memoryBytes = parseSize(given.memory)
  return resources
}

/** Top-level services under the job's own (a job's service replaces the top-level one of its name). */
function normaliseServices(pipeline: RawServices | undefined, job: RawServices | undefined, defaults: Resources | undefined): Record<string, Service> {
  const services = nameTable<Service>()
  for (const [name, raw] of Object.entries(nameTable(pipeline, job))) services[name] = normaliseService(name, raw, defaults)
  return services
}

function normaliseService(name: string, given: string | RawService, defaults: Resources | undefined): Service {
  const raw: RawService = typeof given === 'string' ? {image: given} : given
  const ready: ReadyCheck =
    raw.ready?.command !== undefined ? {kind: 'command', command: raw.ready.command} : raw.ready?.tcp !== undefined ? {kind: 'tcp', port: raw.ready.tcp} : {kind: 'default'}
  const service: Service = {
    name,
    image: raw.image,
    env: normaliseEnv(raw.env),
    secrets: [...new Set(raw.secrets ?? [])],
    aliases: [...new Set(raw.aliases ?? [])],
    ready,
    readyTimeoutMs: (raw.ready?.timeout === undefined ? undefined : parseDuration(raw.ready.timeout)) ?? DEFAULT_READY_TIMEOUT_MS,
    readyIntervalMs: (raw.ready?.interval === undefined ? undefined : parseDuration(raw.ready.interval)) ?? DEFAULT_READY_INTERVAL_MS,
    resources: normaliseResources(raw.resources, defaults),
  }
  if (raw.command !== undefined) service.command = raw.command
  if (raw.entrypoint !== undefined) service.entrypoint = raw.entrypoint
  return service
}

function secretName(secret: RawSecret): string {
  return typeof secret === 'string' ? secret : secret.name
}

function normaliseStep(step: string | RawStep, jobShell: string | undefined): Step {
  const raw: RawStep = typeof step === 'string' ? {run: step} : step
  const normal: Step = {
    name: raw.name ?? defaultStepName(raw.run),
    run: raw.run,
    env: normaliseEnv(raw.env),
    allowFailure: raw.allow_failure ?? false,
  }
  if (raw.timeout !== undefined) normal.timeoutMs = parseDuration(raw.timeout)
  if (raw.when !== undefined && raw.when !== 'on_success') normal.when = raw.when
  // sh is left out, so the keys of steps without a shell did not change when shell came.
  const shell = raw.shell ?? jobShell
  if (shell !== undefined && shell !== DEFAULT_SHELL) normal.shell = shell
  return normal
}

/** A step without a name is called by its command's first line, shortened. */
export function defaultStepName(run: string): string {
  const firstLine = run.trim().split('\n')[0]?.trim() ?? ''
  return firstLine.length > STEP_NAME_MAX ? `${firstLine.slice(0, STEP_NAME_MAX - 1)}…` : firstLine
}

/** GitHub Actions users write `CI: true` and `PORT: 8080`; the container sees strings. */
function normaliseEnv(env: RawEnv | undefined): Record<string, string> {
  return nameTable(Object.fromEntries(Object.entries(env ?? {}).map(([key, value]) => [key, String(value)])))
}

/** Each volume's mount path, and apart, the cache key source of the keyed ones. */
function normaliseVolumes(volumes: RawJob['volumes']): Pick<Job, 'volumes' | 'volumeKeys'> {
  const paths = nameTable<string>()
  const keys = nameTable<VolumeKeySource>()
  for (const [name, volume] of Object.entries(volumes ?? {})) {
    if (typeof volume === 'string') {
      paths[name] = volume
      continue
    }
    paths[name] = volume.path
    if (volume.key) keys[name] = {files: [...volume.key.files]}
  }
  return Object.keys(keys).length > 0 ? {volumes: paths, volumeKeys: keys} : {volumes: paths}
}
