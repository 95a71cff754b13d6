import {AsyncLocalStorage} from 'node:async_hooks'
import {readFile, realpath} from 'node:fs/promises'
import * as path from 'node:path'

import {servedPipelinePath} from '../engine/config/file.js'
import type {ResolvedConfig} from '../engine/config/types.js'
import {ConfigError, OrcaError, type Diagnostic} from '../engine/errors.js'
import type {Executor} from '../engine/executor/types.js'
import {inspectRun} from '../engine/history/abandon.js'
import {runsOnHost, type CleanupPolicy, type Pipeline} from '../engine/pipeline/types.js'
import type {Plan} from '../engine/plan/plan.js'
import type {ProjectFiles} from '../engine/plan/project-files.js'
import type {RunRecord} from '../engine/records/record.js'
import type {OrcaEvent} from '../engine/records/events.js'
import type {RunResult} from '../engine/run/scheduler.js'
import {prepareRun, startRun, type StartedRun} from '../engine/run/start-run.js'
import {readRunRecord, runDir} from '../engine/records/store.js'
import {listRunIds} from '../engine/records/run-id.js'
import {publicDiagnostics} from './diagnostics.js'
import {HttpError} from './http-error.js'
import {IdempotencyKeys} from './idempotency.js'
import {LiveEvents} from './live-events.js'
import {RunQueue} from './run-queue.js'
import {UploadStore} from './uploads.js'

/** The body of `POST /v1/runs`. */
export interface RunSubmission {
  file?: string
  targets?: string[]
  noCache?: boolean
  failFast?: boolean
  cleanup?: CleanupPolicy
  concurrency?: number
  env?: Record<string, string>
  /** The digest of an uploaded tree manifest: the client's working tree, run instead of the served project. */
  tree?: string
}

/** What `POST /v1/runs` answers: the run exists on disk (`GET /v1/runs/{id}` works) when this is sent. */
export interface SubmittedRun {
  id: string
  /** `queued` until a slot among the server's concurrent runs frees up. */
  state: 'queued' | 'running'
  url: string
  eventsUrl: string
}

export interface RunServiceOptions {
  projectDir: string
  config: ResolvedConfig
  env: NodeJS.ProcessEnv
  orcaVersion: string
  /** Runs executing at once; later ones wait in order. */
  maxRunningRuns: number
  /** Runs waiting at most; beyond that a submission gets 503. */
  maxQueuedRuns: number
  executor?: () => Promise<Executor>
  /** Where uploaded working trees are kept, and how much of them at most. */
  uploads: {stateDir: string; maxBytes: number}
  /** Called once a run of this server is recorded as finished (webhooks send `run.finished` from it). */
  onFinished?: (runId: string, finished: Extract<OrcaEvent, {type: 'run.finished'}>) => void
}

interface LiveRun {
  run: StartedRun
  events: LiveEvents
  turn: {state: 'queued' | 'running'; holdsSlot: boolean}
  done: Promise<RunResult>
}

/** Starts, tracks and cancels the runs of one served project; reads every run from the run store. */
export class RunService {
  private readonly live = new Map<string, LiveRun>()
  private readonly finished = new Map<string, {record: RunRecord; json: string}>()
  private readonly idempotency = new IdempotencyKeys<SubmittedRun>()
  private readonly queue: RunQueue
  private accepting = true
  private readonly starting = new Set<Promise<unknown>>()
  /** Which run the code running now works for: every callback a run's work sets up inherits it. */
  private readonly owner = new AsyncLocalStorage<{runId?: string}>()

  /** Content of clients' working trees, by digest. */
  readonly uploads: UploadStore

  constructor(private readonly options: RunServiceOptions) {
    this.queue = new RunQueue(options.maxRunningRuns)
    this.uploads = new UploadStore(options.uploads.stateDir, options.uploads.maxBytes)
  }

  get runsDir(): string {
    return this.options.config.runsDir
  }

  /** Where the content of the served runs' artifacts is (by digest). */
  get cacheDir(): string {
    return this.options.config.cacheDir
  }

  /** Validates and starts a run (or queues it); a retried submission with the same key returns the same run. */
  submit(body: RunSubmission, idempotencyKey?: string): Promise<{result: SubmittedRun; replayed: boolean}> {
    return this.idempotency.run(idempotencyKey, body, () => this.start(body))
  }

  private async start(body: RunSubmission): Promise<SubmittedRun> {
    if (!this.accepting) throw new HttpError(503, 'shutting_down', 'the server is shutting down')
    if (body.tree === undefined) return this.startIn(this.options.projectDir, body)
    if (this.options.config.serve.workingTrees !== true) {
      throw new HttpError(403, 'working_trees_not_allowed', 'this server runs its own project only, not a working tree sent with the run', {
        hint: "set serve.workingTrees: true in the served project's configuration to let clients (orca run --server) run their own trees",
      })
    }
    // The pipeline file is named by the served project's rules before anything is laid out.
    await this.pipelineFile(body.file ?? 'jobs.yml', this.options.projectDir, false)
    const {dir: workspace, listing} = this.uploads.workspace(body.tree)
    try {
      return await this.startIn(workspace, body, listing)
    } catch (error) {
      this.uploads.releaseWorkspace(workspace)
      throw error
    }
  }

  /** Starts a run of the pipeline in `root` (the served project, or a client's tree laid out with its own file listing). */
  private async startIn(root: string, body: RunSubmission, listing?: ProjectFiles): Promise<SubmittedRun> {
    const file = await this.pipelineFile(body.file ?? 'jobs.yml', root)
    const loaded = await prepareRun({
      cwd: root,
      env: this.options.env,
      file,
      targets: body.targets ?? [],
      concurrency: body.concurrency,
      noCache: body.noCache ?? false,
      failFast: body.failFast ?? false,
      cleanup: body.cleanup,
      envOverrides: body.env ?? {},
      config: this.options.config,
    }).catch(async (error: unknown) => {
      if (!(error instanceof ConfigError)) throw error
      // Positions and keys only: a client must not read a file through the errors it provokes,
      // whichever file of the pipeline (an included one, an env file) each error is in.
      const shown = new Map<string, Diagnostic[]>()
      for (const name of new Set(error.diagnostics.map((d) => d.file))) {
        const text = await readFile(path.join(root, name), 'utf8').catch(() => undefined)
        shown.set(name, publicDiagnostics(error.diagnostics.filter((d) => d.file === name), text))
      }
      throw new HttpError(422, 'invalid_pipeline', `${file} is not a valid pipeline: ${error.diagnostics.length} problem(s), see diagnostics`, {
        diagnostics: [...shown.values()].flat(),
        hint: error.hint,
      })
    })
    // A tree's files are the client's listing as sent: the server lists nothing of its own.
    const prepared = listing === undefined ? loaded : {...loaded, projectFiles: () => Promise.resolve(withPipelineFiles(listing, loaded.pipeline))}
    refuseHostJobs(file, prepared.plan, this.options.config.serve.allowHost === true)
    const docker = [...prepared.pipeline.jobs.values()].find((job) => job.docker)
    if (docker && !this.options.config.serve.allowDocker) {
      throw new HttpError(403, 'docker_not_allowed', `${file}: job "${docker.name}" has docker: true (the host's Docker engine, and with it the host); this server does not run such pipelines`, {
        hint: 'set serve.allowDocker: true in the served project\'s configuration to allow them',
      })
    }
    if (this.queue.queued >= this.options.maxQueuedRuns) {
      throw new HttpError(503, 'queue_full', `${this.queue.queued} runs are already waiting`, {headers: {'retry-after': '5'}})
    }
    if (!this.accepting) throw new HttpError(503, 'shutting_down', 'the server is shutting down')

    const events = new LiveEvents()
    const turn = {state: 'queued' as 'queued' | 'running', holdsSlot: false}
    const owner: {runId?: string} = {}
    const starting = this.owner.run(owner, () => startRun(prepared, {
      sinks: [events],
      orcaVersion: this.options.orcaVersion,
      executor: this.options.executor,
      // Called synchronously as the run starts, so `turn.state` is right when startRun returns.
      waitTurn: async (signal) => {
        if (this.queue.hasFreeSlot) turn.state = 'running'
        turn.holdsSlot = await this.queue.acquire(signal)
        if (turn.holdsSlot) turn.state = 'running'
      },
    }))
    // A shutdown that begins while the run directory is being created waits for it (see drain).
    this.starting.add(starting)
    const run = await starting.finally(() => this.starting.delete(starting))
    owner.runId = run.runId
    // Live until recorded as finished; retention afterwards is housekeeping, not part of the run.
    const done = run.finished.finally(() => {
      if (turn.holdsSlot) this.queue.release()
      // From now on the run is read from its directory like any other.
      this.live.delete(run.runId)
      if (listing !== undefined) this.uploads.releaseWorkspace(root)
      const finished = events.finishedEvent
      if (finished !== undefined) this.options.onFinished?.(run.runId, finished)
    })
    // startRun records an engine failure as the run's end (failed, internal); nobody else awaits these promises.
    done.catch(() => undefined)
    run.done.catch(() => undefined)
    const entry: LiveRun = {run, events, turn, done}
    this.live.set(run.runId, entry)
    if (!this.accepting) run.cancel()
    return {id: run.runId, state: turn.state, url: `/v1/runs/${run.runId}`, eventsUrl: `/v1/runs/${run.runId}/events`}
  }

  /**
   * The pipeline file a request names, relative to the served project: one of `serve.pipelines`,
   * decided from its spelling alone (so the answer never tells whether some other file exists), and
   * inside the project also after resolving symlinks.
   */
  private async pipelineFile(file: string, root: string, resolve = true): Promise<string> {
    const allowed = this.options.config.serve.pipelines
    const normal = servedPipelinePath(file)
    if (normal === undefined || !allowed.includes(normal)) {
      throw new HttpError(403, 'pipeline_not_allowed', `${JSON.stringify(file)} is not a pipeline this server runs`, {
        hint: allowed.length > 0 ? `allowed (serve.pipelines): ${allowed.join(', ')}` : 'serve.pipelines in the configuration is empty: no runs can be started over HTTP',
      })
    }
    if (!resolve) return normal
    const realRoot = await realpath(root)
    const real = await realpath(path.join(realRoot, normal)).catch(() => undefined)
    if (real === undefined) return normal // the loader reports a missing file with its usual diagnostic
    const realRelative = path.relative(realRoot, real)
    if (realRelative === '' || realRelative === '..' || realRelative.startsWith(`..${path.sep}`) || path.isAbsolute(realRelative)) {
      throw new HttpError(400, 'file_outside_project', `${JSON.stringify(file)} leads outside the served project`)
    }
    return normal
  }

  /**
   * A page of run records as JSON (`{"runs": [...], "next"}`), newest first, `limit` of them before the
   * id `before`. Finished records never change, so they are kept parsed and serialised.
   */
  async listJson(options: {limit: number; before?: string}): Promise<string> {
    let ids = await listRunIds(this.runsDir)
    const present = new Set(ids)
    for (const id of this.finished.keys()) if (!present.has(id)) this.finished.delete(id)
    if (options.before !== undefined) ids = ids.filter((id) => id < options.before!)
    const runs: string[] = []
    let last: string | undefined
    let next: string | null = null
    for (const id of ids) {
      if (runs.length === options.limit) {
        next = last ?? null
        break
      }
      const entry = await this.readEntry(id).catch(() => undefined)
      if (!entry) continue
      runs.push(entry.json)
      last = id
    }
    return `{"runs":[${runs.join(',')}],"next":${JSON.stringify(next)}}`
  }

  /** A run's record (`run.json`); `latest` names the newest run. 404 when there is no such run. */
  async get(ref: string): Promise<RunRecord> {
    return (await this.getEntry(ref)).record
  }

  /** The record as JSON, serialised once for finished runs. */
  async getJson(ref: string): Promise<string> {
    return (await this.getEntry(ref)).json
  }

  private async getEntry(ref: string): Promise<{record: RunRecord; json: string}> {
    const id = ref === 'latest' ? ((await listRunIds(this.runsDir))[0] ?? '') : ref
    try {
      runDir(this.runsDir, id)
      return await this.readEntry(id)
    } catch (error) {
      if (error instanceof OrcaError && error.kind === 'usage') throw notFound(ref)
      throw error
    }
  }

  private async readEntry(id: string): Promise<{record: RunRecord; json: string}> {
    const cached = this.finished.get(id)
    if (cached) return cached
    // A run of another process still `running` although that process died is recorded as abandoned first.
    const record = this.live.has(id) ? await readRunRecord(this.runsDir, id) : await inspectRun(this.runsDir, id)
    const entry = {record, json: JSON.stringify(record)}
    if (record.status !== 'running') this.finished.set(id, entry)
    return entry
  }

  /** The in-memory events of a run this server is running. */
  liveEvents(id: string): LiveEvents | undefined {
    return this.live.get(id)?.events
  }

  /** Cancels a run of this server (a second call, or `force`, kills without a grace period). */
  async cancel(ref: string, force: boolean): Promise<{id: string; state: 'cancelling'}> {
    const record = await this.get(ref)
    const entry = this.live.get(record.id)
    if (!entry) {
      const why = record.status === 'running' ? 'is running in another orca process' : `has already finished (${record.status})`
      throw new HttpError(409, 'run_not_live', `run ${record.id} ${why}; only runs started by this server can be cancelled here`)
    }
    entry.run.cancel(force)
    return {id: record.id, state: 'cancelling'}
  }

  /**
   * An error nothing caught (an `uncaughtException` or `unhandledRejection` of the process): when it
   * was raised by the work of a live run of this server, that run is stopped and recorded `failed`
   * with the error. Returns that run's id, or undefined when no live run owns the error.
   */
  failOwnerOf(error: unknown): string | undefined {
    const id = this.owner.getStore()?.runId
    const entry = id === undefined ? undefined : this.live.get(id)
    if (entry === undefined) return undefined
    entry.run.fail(error instanceof Error ? error : new Error(String(error)))
    return id
  }

  /** Counts for `/healthz`. */
  get stats(): {running: number; queued: number} {
    return {running: this.queue.active, queued: this.queue.queued}
  }

  /** Stops taking runs; cancels every live run (or lets them finish) and waits until each is recorded. */
  async drain(mode: 'cancel' | 'finish'): Promise<void> {
    this.accepting = false
    await Promise.allSettled([...this.starting])
    const runs = [...this.live.values()]
    for (const entry of runs) {
      // Queued runs never start during a shutdown, whatever the mode.
      if (mode === 'cancel' || entry.turn.state === 'queued') entry.run.cancel()
    }
    await Promise.allSettled(runs.map((entry) => entry.done))
    await this.uploads.close()
  }

  /** Kills what is still running without a grace period (a second signal during shutdown). */
  forceCancelAll(): void {
    for (const entry of this.live.values()) entry.run.cancel(true)
  }
}

/** The pipeline file and its includes are orca's own files whatever the client marked (as in a local run). */
function withPipelineFiles(listing: ProjectFiles, pipeline: Pipeline): ProjectFiles {
  const own = [pipeline.file, ...(pipeline.includes?.map((included) => included.file) ?? [])].map((file) => path.relative(pipeline.projectDir, file).split(path.sep).join('/'))
  const present = new Set(listing.files)
  return {...listing, orcaFiles: [...new Set([...listing.orcaFiles, ...own.filter((name) => present.has(name))])].sort()}
}

function notFound(ref: string): HttpError {
  return new HttpError(404, 'not_found', `no run ${JSON.stringify(ref)}`)
}

/** A run over HTTP may put `runs-on: host` jobs on the server's own machine only where its configuration says so. */
function refuseHostJobs(file: string, plan: Plan, allowed: boolean): void {
  const host = [...plan.jobs.values()].filter((job) => runsOnHost(job) && job.steps.length > 0).map((job) => job.name)
  if (host.length === 0 || allowed) return
  throw new HttpError(403, 'host_jobs_not_allowed', `${file} has jobs that would run on this server's machine (runs-on: host): ${host.join(', ')}`, {
    hint: 'set serve.allowHost: true in the served project\'s configuration to let runs over HTTP start host jobs',
  })
}
