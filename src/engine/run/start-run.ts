import {createHash} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import * as path from 'node:path'

import {imageIdResolver, type ImageIdResolver} from '../cache/image-id.js'
import {parsedPipelinesDir} from '../cache/last.js'
import {askGitOf, openRunCache, projectFilesOf} from '../cache/open.js'
import {remoteOption, type RemoteOption} from '../cache/remote/open.js'
import {usesCache} from '../cache/key.js'
import {CacheStore} from '../cache/store.js'
import {signerOf, type EntrySigner} from '../cache/signing.js'
import {loadConfig} from '../config/load.js'
import type {ResolvedConfig} from '../config/types.js'
import {hostKeyResolver, type HostKeyResolver} from '../executor/host/key-commands.js'
import type {Executor, JobContext} from '../executor/types.js'
import {acquireRunLock, type HeldRunLock} from '../history/lock.js'
import {applyRetention} from '../history/retention.js'
import {planRun, type Plan} from '../plan/plan.js'
import type {ProjectFiles} from '../plan/project-files.js'
import {loadPipeline} from '../pipeline/load.js'
import {runsOnHost, type CleanupPolicy, type Pipeline} from '../pipeline/types.js'
import type {EventSink, OrcaEvent} from '../records/events.js'
import {maskString} from './masker.js'
import {projectIdentity} from '../project-identity.js'
import {registryPasswords} from '../executor/docker/registry-auth.js'
import {restoredNeeds} from './needs-from-cache.js'
import {OrcaError} from '../errors.js'
import {newRunId} from '../records/run-id.js'
import {executeRun, type RunResult} from './scheduler.js'
import {resolveSecrets} from './secrets.js'
import {bindHostEnvironment} from '../plan/host-environment.js'
import {artifactManifestName, reportsName, RunStore} from '../records/store.js'
import {attestRun} from '../provenance/attest.js'
import {signingKeyOf, type SigningKey} from '../keys/ed25519.js'

export interface RunRequest {
  cwd: string
  /** The project's folder, where the config search starts (see `findProject`); default: cwd. */
  projectDir?: string
  env: NodeJS.ProcessEnv
  /** Pipeline file, relative to cwd. */
  file: string
  targets: string[]
  /** `-j`; undefined = config. */
  concurrency?: number
  noCache: boolean
  failFast: boolean
  cleanup?: CleanupPolicy
  /** `--keep-for`: how long containers kept by policy stay, over every job's `keep_for`. */
  keepForMs?: number
  envOverrides: Record<string, string>
  /** `--needs-from-cache`: the targets' needs are restored from the cache, never run. */
  needsFromCache?: boolean
  /** Already resolved configuration (e.g. by a long-lived server); loaded from cwd when absent. */
  config?: ResolvedConfig
  /** Told one line the user should see (e.g. git is missing, so inputs follow the ignore files). */
  onNotice?: (message: string) => void
  /** When the process that asks for the run started (ms since the epoch): `ORCA_TRACE` times its boot from it. */
  processStartedAt?: number
}

/** A run that passed every check: nothing has been written yet. */
export interface PreparedRun {
  config: ResolvedConfig
  pipeline: Pipeline
  plan: Plan
  secrets: Record<string, string>
  request: RunRequest
  /** Image IDs for the jobs' keys, each asked of the engine once per run. */
  imageId: ImageIdResolver
  /** Host jobs' key commands' output, each job's run once per run. */
  hostKey: HostKeyResolver
  /** Signs and checks cache entries when `cache.signing` is configured. */
  signer?: EntrySigner
  /** Signs the run's attestation (provenance.signingKey or ORCA_SIGNING_KEY); absent = written unsigned. */
  signingKey?: SigningKey
  /** The project's files, listed on the first call (once per run; a notice goes to `onNotice`). */
  projectFiles: () => Promise<ProjectFiles>
  /** With `needsFromCache`: the jobs restored from the cache and never run (see `restoredNeeds`). */
  restored?: ReadonlySet<string>
  /** The configured remote cache, made on the first call (once per run; see warmRemote). */
  remote: () => Promise<RemoteOption>
  /** When reading and planning began and ended (ms since the epoch), for `ORCA_TRACE`. */
  preparedIn: {began: number; ended: number}
}

export interface StartedRun {
  runId: string
  /** `<runsDir>/<runId>` */
  dir: string
  /** Settles once the run is recorded as finished (its lock released). */
  finished: Promise<RunResult>
  /** `finished`, then retention applied to the runs directory: what a process awaits before it exits. */
  done: Promise<RunResult>
  /** First call: graceful cancel; second (or `force`): kill without a grace period. */
  cancel(force?: boolean): void
  /** Stops the run as a cancel does, and records it `failed` with this error (kind `internal`). */
  fail(error: Error): void
}

/** Loads config and pipeline, plans, resolves secrets. User mistakes throw OrcaError before any file is written. */
export async function prepareRun(request: RunRequest): Promise<PreparedRun> {
  const began = Date.now()
  const config = request.config ?? (await loadConfig({cwd: request.cwd, projectDir: request.projectDir, env: request.env, flags: {concurrency: request.concurrency}}))
  // git lists the project (the pipeline file's folder) in its own processes while the pipeline is read
  // and planned; its answer is taken, and recorded, only if the pipeline is sound.
  const git = askGitOf(config, path.dirname(path.resolve(request.cwd, request.file)), request.env)
  const pipeline = await loadPipeline(request.file, {cwd: request.cwd, defaults: config.defaults, parseCacheDir: parsedPipelinesDir(config.cacheDir)})
  const plan = bindHostEnvironment(planRun(pipeline, request.targets), pipeline.projectDir, request.env)
  if (request.needsFromCache && request.noCache) {
    throw new OrcaError('usage', '--needs-from-cache restores the needs from the cache, which --no-cache turns off', {hint: 'leave out one of them'})
  }
  const restored = request.needsFromCache ? restoredNeeds(pipeline, plan) : undefined
  // A job only restored never runs: its secrets' values are not needed (its key holds their names only).
  const secrets = resolveSecrets(restored ? {...plan, jobs: new Map([...plan.jobs].filter(([name]) => !restored.has(name)))} : plan, request.env)
  const imageId = imageIdResolver({host: config.docker.host, env: request.env})
  const hostKey = hostKeyResolver({cwd: pipeline.projectDir, env: request.env, envOverrides: request.envOverrides})
  let listed: Promise<ProjectFiles> | undefined
  const projectFiles = (): Promise<ProjectFiles> =>
    (listed ??= projectFilesOf(config, pipeline, request.env, undefined, git).then((files) => {
      if (files.notice !== undefined) request.onNotice?.(files.notice)
      return files
    }))
  // A signing key that cannot be read is a usage error, reported before the run directory exists.
  const signer = signerOf(config.cache.signing, request.env)
  const signingKey = signingKeyOf(config.provenance.signingKey)
  let remote: Promise<RemoteOption> | undefined
  const remoteOnce = (): Promise<RemoteOption> => (remote ??= remoteOption(config.cache.remote, request.env))
  return {config, pipeline, plan, secrets, request, imageId, hostKey, projectFiles, remote: remoteOnce, preparedIn: {began, ended: Date.now()}, ...(signer ? {signer} : {}), ...(signingKey ? {signingKey} : {}), ...(restored ? {restored} : {})}
}

/**
 * Asks the engine for the image ID of every planned job now, so the answers arrive while the run
 * starts (listing the project, creating its directory) instead of after. A failure here is asked
 * again, and reported, when a job needs the ID.
 */
export function prefetchImageIds(prepared: PreparedRun): void {
  for (const job of prepared.plan.jobs.values()) {
    if (job.steps.length > 0 && !job.build && !runsOnHost(job)) prepared.imageId(job.image).catch(() => undefined)
  }
}

/**
 * Opens the connections the run's first remote lookups will use now, while the project is listed and
 * the keys computed, so their TCP and TLS handshakes are not on the run's path. Only when every job
 * is looked up there: a remote is configured, --no-cache is off, and the local cache holds no entry
 * at all (a fresh runner). A run whose jobs the local cache may hold never opens one ahead.
 */
export function warmRemote(prepared: PreparedRun): void {
  const {config, plan, request} = prepared
  if (config.cache.remote === undefined || request.noCache || existsSync(new CacheStore(config.cacheDir).entriesDir)) return
  const lookups = [...plan.jobs.values()].filter((job) => usesCache(job)).length
  if (lookups === 0) return
  prepared
    .remote()
    .then((remote) => remote.preconnect?.(lookups))
    .catch(() => undefined)
}

/** The run's Docker executor, connected when first asked for (dockerode loads only then), with the run's registry credentials. */
export function dockerExecutor(prepared: PreparedRun): () => Promise<Executor> {
  return async () => {
    const {connectDocker} = await import('../executor/docker/connect.js')
    const {registryAuthOnce} = await import('../executor/docker/registry-auth.js')
    const {config, request} = prepared
    return connectDocker({host: config.docker.host, env: request.env, registryAuth: registryAuthOnce({env: request.env, registries: config.registries})})
  }
}

/** Creates the run directory and starts the run; resolves once the run is recorded as started. */
export async function startRun(
  prepared: PreparedRun,
  options: {
    sinks: EventSink[]
    orcaVersion: string
    executor?: () => Promise<Executor>
    waitTurn?: (signal: AbortSignal) => Promise<void>
    onStepFailed?: JobContext['onStepFailed']
  },
): Promise<StartedRun> {
  const {config, pipeline, plan, secrets, request, signer} = prepared
  const projectFiles = await prepared.projectFiles()
  // The pipeline as the run read it, for the attestation's build definition.
  const pipelineSha256 = createHash('sha256').update(readFileSync(pipeline.file)).digest('hex')
  const remote = await prepared.remote()
  const cache = openRunCache({config, pipeline, projectFiles, envOverrides: request.envOverrides, noCache: request.noCache, signer, ...remote})
  // The remote is asked for every key known now while the run directory is made (the scheduler's
  // look ahead is this one); a run that waits for its turn looks ahead in its turn.
  const lookingAhead = options.waitTurn === undefined ? cache.lookAhead(plan.order.map((name) => plan.jobs.get(name)!), prepared.imageId) : undefined
  const runId = newRunId()
  let store: RunStore | undefined
  // Held until the run is recorded as finished: readers tell a live run from a dead one by it.
  let lock: HeldRunLock
  try {
    store = await RunStore.create(config.runsDir, runId)
    lock = acquireRunLock(store.dir, runId)
  } catch (error) {
    store?.close()
    // No run: what was asked of the remote is awaited (it may be stored locally), not used.
    await lookingAhead
    await cache.settleUploads()
    cache.finish()
    throw error
  }
  const cancel = new AbortController()
  const force = new AbortController()
  const failure = new AbortController()

  // The executor the run made, if any: its retention pass removes expired kept containers (a cached run never loads Docker).
  let madeExecutor: Promise<Executor> | undefined
  const makeExecutor = options.executor ?? dockerExecutor(prepared)
  const finished = executeRun({
    runId,
    pipeline,
    plan,
    executor: async () => (madeExecutor ??= makeExecutor()),
    hostExecutor: async () => {
      const {HostExecutor} = await import('../executor/host/host-executor.js')
      return new HostExecutor({workDir: (_runId, job) => store.hostWorkDir(job), env: request.env})
    },
    hostKey: prepared.hostKey,
    projectFiles,
    concurrency: request.concurrency ?? config.concurrency,
    failFast: request.failFast,
    cleanupOverride: request.cleanup,
    ...(request.keepForMs === undefined ? {} : {keepForOverrideMs: request.keepForMs}),
    envOverrides: request.envOverrides,
    secrets,
    masked: registryPasswords(request.env, config.registries),
    artifactsDir: (job) => store.artifactsDir(job),
    reports: (job) => ({dir: store.reportsDir(job), name: reportsName(job)}),
    serviceLogDir: (job) => store.serviceLogDir(job),
    artifactManifest: (job) => ({path: store.artifactManifestPath(job), name: artifactManifestName(job)}),
    blobs: cache.store.blobs,
    sinks: [store, ...options.sinks],
    cancel: cancel.signal,
    force: force.signal,
    failure: failure.signal,
    orcaVersion: options.orcaVersion,
    waitTurn: options.waitTurn,
    cache,
    imageId: prepared.imageId,
    restored: prepared.restored,
    attest: async (finishedOn) => {
      const record = store.current
      if (record === undefined) return undefined
      return attestRun({
        dir: store.dir,
        record,
        projectDir: pipeline.projectDir,
        pipeline: {file: pipeline.file, sha256: pipelineSha256},
        includes: pipeline.includes ?? [],
        orcaVersion: options.orcaVersion,
        finishedOn,
        ...(prepared.signingKey ? {key: prepared.signingKey} : {}),
        imageIdOf: async (name) => {
          const job = plan.jobs.get(name)
          return job === undefined || job.steps.length === 0 || runsOnHost(job) ? null : ((await prepared.imageId(job.image)) ?? null)
        },
      })
    },
    ...(options.onStepFailed ? {onStepFailed: options.onStepFailed} : {}),
    // Off only to compare against (docs/performance.md): the plain path, each container made when its job runs.
    prestart: request.env.ORCA_PRESTART !== '0',
    timeline: {...prepared.preparedIn, ...(request.processStartedAt === undefined ? {} : {processStartedAt: request.processStartedAt})},
  })
    .catch((error: unknown) => {
      // The engine itself threw: stop what may still run and record the end, so no reader waits for a run nobody owns.
      force.abort()
      cancel.abort()
      recordCrash(store, [...options.sinks], error, Object.values(secrets))
      throw error
    })
    .finally(() => {
      cache.finish()
      lock.release()
    })
  const done = finished.then(async (result) => {
    // Retention never fails a run that already ended.
    await applyRetention(config.runsDir, config.retention).catch(() => undefined)
    await removeExpiredKept(madeExecutor, pipeline.projectDir, runId).catch(() => undefined)
    return result
  })

  return {
    runId,
    dir: store.dir,
    finished,
    done,
    cancel(forceNow = false) {
      if (forceNow || cancel.signal.aborted) force.abort()
      cancel.abort()
    },
    fail(error) {
      if (!failure.signal.aborted) failure.abort(error)
    },
  }
}

/** Records `run.finished` (failed, kind `internal`) for a run whose engine threw before recording its end. */
function recordCrash(store: RunStore, sinks: EventSink[], error: unknown, secrets: string[]): void {
  const record = store.current
  if (record !== undefined && record.status === 'running') {
    const message = maskString(`unexpected error: ${error instanceof Error ? error.message : String(error)}`, secrets.filter((s) => s.length > 0))
    const event: OrcaEvent = {
      type: 'run.finished',
      status: 'failed',
      durationMs: Math.max(0, Date.now() - Date.parse(record.startedAt)),
      error: {kind: 'internal', message},
      seq: record.lastSeq + 1,
      time: new Date().toISOString(),
      runId: record.id,
    }
    for (const sink of [store, ...sinks]) {
      try {
        sink.handle(event)
      } catch {
        // One broken sink must not keep the others from the end.
      }
    }
  }
  try {
    store.close()
  } catch {
    // The store's own write error is not the one to report.
  }
}

/** This project's kept containers whose `keep_for` has passed, removed through the run's executor (never another project's). */
async function removeExpiredKept(executor: Promise<Executor> | undefined, projectDir: string, runId: string): Promise<void> {
  if (executor === undefined) return
  const made = await executor
  // The run's own kept containers are spared, however short their keep_for: keeping one takes a while.
  await made.removeExpiredKept?.({projectId: projectIdentity(projectDir).id}, Date.now(), runId)
}
