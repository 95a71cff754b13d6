import type {ImageIdResolver} from '../cache/image-id.js'
import type {Executor} from '../executor/types.js'
import type {Plan} from '../plan/plan.js'
import {runsOnHost, type Job} from '../pipeline/types.js'
import {OrcaError} from '../errors.js'
import type {RunEmitter} from './emitter.js'

/**
 * The run's executors, each created and prepared only when a job first needs it: Docker (engine
 * reachable, images present) for container jobs, the host executor for `runs-on: host` jobs. A run
 * that runs nothing never loads Docker, nor does one that runs only host jobs.
 */
export class ExecutorSession {
  #executor: Executor | undefined
  #ready: Promise<Executor> | undefined
  #prepared: Map<string, string> | undefined
  #host: Promise<Executor> | undefined
  #hostExecutor: Executor | undefined

  constructor(
    private readonly create: () => Promise<Executor>,
    private readonly plan: Plan,
    private readonly emitter: RunEmitter,
    private readonly signal: AbortSignal,
    private readonly imageId?: ImageIdResolver,
    private readonly createHost?: () => Promise<Executor>,
  ) {}

  /** The executor of a job (default: a container job's), preparing Docker on first use with every image a container job of the plan runs in. */
  get(job?: Job): Promise<Executor> {
    if (job !== undefined && runsOnHost(job)) return this.host()
    return (this.#ready ??= (async () => {
      const executor = await this.create()
      this.#executor = executor
      const jobs = [...this.plan.jobs.values()].filter((j) => j.steps.length > 0 && !runsOnHost(j))
      const images = [...new Set(jobs.flatMap((j) => [j.image, ...Object.values(j.services).map((s) => s.image)]))]
      this.#prepared = await executor.prepare(images, {
        signal: this.signal,
        onEvent: (e) => e.type === 'image.pull' && this.emitter.emit({...e}),
      })
      return executor
    })())
  }

  /** An image's ID: cheap inspection first; an image the engine lacks (or an unreachable engine) goes through prepare. */
  async imageIdOf(ref: string): Promise<string | null> {
    const id = await this.imageId?.(ref).catch(() => undefined)
    if (id) return id
    await this.get()
    return this.#prepared?.get(ref) ?? null
  }

  /** Stops and removes what the run left, in whichever executors were created. */
  async cleanup(runId: string): Promise<void> {
    await this.#executor?.cleanup(runId).catch(() => undefined)
    await this.#hostExecutor?.cleanup(runId).catch(() => undefined)
  }

  /**
   * The executor of a job if it is ready now: Docker's once prepared, the host's once created
   * (undefined before: nothing is started ahead of the first job its executor runs).
   */
  readyFor(job: Job): Executor | undefined {
    if (runsOnHost(job)) return this.#hostExecutor
    return this.#prepared === undefined ? undefined : this.#executor
  }

  /** Awaits what the executors still do in the background (finished jobs' containers being removed). */
  async flush(): Promise<void> {
    await this.#executor?.flush?.().catch(() => undefined)
    await this.#hostExecutor?.flush?.().catch(() => undefined)
  }

  get created(): boolean {
    return this.#executor !== undefined || this.#hostExecutor !== undefined
  }

  private host(): Promise<Executor> {
    return (this.#host ??= (async () => {
      if (!this.createHost) throw new OrcaError('infra', 'this run cannot run runs-on: host jobs (no host executor was given)')
      this.#hostExecutor = await this.createHost()
      return this.#hostExecutor
    })())
  }
}
