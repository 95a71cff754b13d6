import type {Executor} from '../executor/types.js'

/**
 * The run's one executor, created (engine reachable) only when a job first needs it, so a run that
 * runs nothing never loads Docker. Its images are made present per image by `RunImages`.
 */
export class ExecutorSession {
  #executor: Executor | undefined
  #ready: Promise<Executor> | undefined

  constructor(private readonly create: () => Promise<Executor>) {}

  /** The executor, created on first use. */
  get(): Promise<Executor> {
    return (this.#ready ??= (async () => {
      const executor = await this.create()
      this.#executor = executor
      return executor
    })())
  }

  /** Removes what the run left in the engine, if an executor was ever created. */
  async cleanup(runId: string): Promise<void> {
    await this.#executor?.cleanup(runId).catch(() => undefined)
  }

  get created(): boolean {
    return this.#executor !== undefined
  }
}
