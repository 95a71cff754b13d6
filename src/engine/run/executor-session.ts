import type {ImageIdResolver} from '../cache/image-id.js'
import type {Executor} from '../executor/types.js'
import type {Plan} from '../plan/plan.js'
import type {RunEmitter} from './emitter.js'

/**
 * The run's one executor, created and prepared (engine reachable, images present) only when a job
 * first needs it, so a run that runs nothing never loads Docker.
 */
export class ExecutorSession {
  #executor: Executor | undefined
  #ready: Promise<Executor> | undefined
  #prepared: Map<string, string> | undefined

  constructor(
    private readonly create: () => Promise<Executor>,
    private readonly plan: Plan,
    private readonly emitter: RunEmitter,
    private readonly signal: AbortSignal,
    private readonly imageId?: ImageIdResolver,
  ) {}

  /** The prepared executor, preparing it on first use with every image a job of the plan runs in. */
  get(): Promise<Executor> {
    return (this.#ready ??= (async () => {
      const executor = await this.create()
      this.#executor = executor
      const images = [...new Set([...this.plan.jobs.values()].filter((j) => j.steps.length > 0).flatMap((j) => [j.image, ...Object.values(j.services).map((s) => s.image)]))]
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

  /** Removes what the run left in the engine, if an executor was ever created. */
  async cleanup(runId: string): Promise<void> {
    await this.#executor?.cleanup(runId).catch(() => undefined)
  }

  /** The executor once prepared (undefined before: nothing is started ahead of a run's first executed job). */
  get ready(): Executor | undefined {
    return this.#prepared === undefined ? undefined : this.#executor
  }

  /** Awaits what the executor still does in the background (finished jobs' containers being removed). */
  async flush(): Promise<void> {
    await this.#executor?.flush?.().catch(() => undefined)
  }

  get created(): boolean {
    return this.#executor !== undefined
  }
}
