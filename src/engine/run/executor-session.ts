import type {Executor} from '../executor/types.js'
import {runsOnHost, type Job} from '../pipeline/types.js'
import {OrcaError} from '../errors.js'

/**
 * The run's executors, each created only when a job first needs it: Docker (engine reachable) for
 * container jobs, the host executor for `runs-on: host` jobs. A run that runs nothing never loads
 * Docker, nor does one that runs only host jobs. Images are made present per image by `RunImages`.
 */
export class ExecutorSession {
  #executor: Executor | undefined
  #ready: Promise<Executor> | undefined
  #host: Promise<Executor> | undefined
  #hostExecutor: Executor | undefined

  constructor(
    private readonly create: () => Promise<Executor>,
    private readonly createHost?: () => Promise<Executor>,
    /** Told when the container executor is ready, and when its creation began (ms since the epoch). */
    private readonly onCreated?: (began: number) => void,
  ) {}

  /** The executor of a job (default: a container job's), created on first use. */
  get(job?: Job): Promise<Executor> {
    if (job !== undefined && runsOnHost(job)) return this.host()
    return (this.#ready ??= (async () => {
      const began = Date.now()
      const executor = await this.create()
      this.onCreated?.(began)
      this.#executor = executor
      return executor
    })())
  }

  /** Stops and removes what the run left, in whichever executors were created. */
  async cleanup(runId: string): Promise<void> {
    await this.#executor?.cleanup(runId).catch(() => undefined)
    await this.#hostExecutor?.cleanup(runId).catch(() => undefined)
  }

  /**
   * The executor of a job if it exists now (undefined before: nothing is started ahead of the first
   * job, or image, its executor serves).
   */
  readyFor(job: Job): Executor | undefined {
    return runsOnHost(job) ? this.#hostExecutor : this.#executor
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
