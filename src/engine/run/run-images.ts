import {buildTag, type BuildContexts} from '../cache/build-context.js'
import type {ImageIdResolver} from '../cache/image-id.js'
import {OrcaError} from '../errors.js'
import type {Executor, ExecutorEvent, ImageRequest} from '../executor/types.js'
import {runsOnHost, type Job} from '../pipeline/types.js'
import type {RunEmitter} from './emitter.js'
import type {ExecutorSession} from './executor-session.js'

/**
 * An image could not be made present: the jobs that use it fail with it, the rest of the run goes on.
 * `made` says how it was to come: pulled (or found) — a missing image, the engine's side — or built
 * from the project, whose failure is the project's own like a failing step.
 */
export class ImageUnavailableError extends OrcaError {
  constructor(
    readonly image: string,
    cause: OrcaError,
    readonly made: 'pull' | 'build',
  ) {
    super(cause.kind === 'cancelled' ? 'cancelled' : 'infra', cause.message, {cause, hint: cause.hint})
    this.name = 'ImageUnavailableError'
  }
}

/** One image of the run being made present, and what waits on it. */
interface Preparation {
  label: string
  /** Undefined only from an executor whose `prepare` did not say (test doubles). */
  id: Promise<string | undefined>
  /** Build output so far, replayed to a job that starts waiting late. */
  lines: string[]
  listeners: Set<(text: string) => void>
}

/**
 * The run's images: each distinct one (a reference with its pull policy and platform, or a build)
 * pulled or built once, all of them concurrently, each job waiting only for its own. A failed image
 * fails only the jobs that use it. `image.ready` / `image.failed` say when each is settled.
 */
export class RunImages {
  private readonly preparations = new Map<string, Preparation>()

  constructor(
    private readonly session: ExecutorSession,
    private readonly emitter: RunEmitter,
    private readonly signal: AbortSignal,
    private readonly options: {
      /** The project's identity's id: built images are tagged `orca-build/<id>:<digest>`. */
      projectId: string
      /** Where image build contexts are hashed (the cache's, so a key and its build read one listing). */
      contexts: BuildContexts
      /** Cheap inspection for keys, so a fully cached run never loads Docker's client. */
      imageId?: ImageIdResolver
    },
  ) {}

  /**
   * The image ID a job's key takes: a present image's by inspection; one that must be pulled first
   * (missing, `pull: always`, or a platform to check) after its pull. A built image's key is its
   * context, so this is null for it (and for group jobs).
   */
  async idForKey(job: Job): Promise<string | null> {
    if (job.steps.length === 0 || job.build || runsOnHost(job)) return null
    if (job.pull !== 'always' && job.platform === undefined) {
      const id = await this.options.imageId?.(job.image).catch(() => undefined)
      if (id) return id
    }
    return (await this.forJob(job)) ?? null
  }

  /** The ID of a service's image, pulled when missing. */
  async serviceId(ref: string): Promise<string | null> {
    const id = await this.options.imageId?.(ref).catch(() => undefined)
    return id ?? (await this.prepare({kind: 'pull', ref}, ref)) ?? null
  }

  /** The ID to create the job's container from, pulled or built when needed; a build's output goes to `onBuildOutput`. */
  async forJob(job: Job, onBuildOutput?: (text: string) => void): Promise<string | undefined> {
    const request = this.requestOf(job)
    return this.prepare(request, job.image, onBuildOutput)
  }

  /**
   * Starts pulling, now and each on its own, every image of `jobs` that must be pulled: those the engine
   * lacks (asked cheaply first, so a run whose images are all there never loads Docker's client), those
   * with `pull: always` or a platform. Builds start when a job that runs needs them: a job whose key is
   * a hit needs no image. A failure waits for the job that asks.
   */
  prefetch(jobs: Iterable<Job>): void {
    for (const job of jobs) {
      if (job.steps.length === 0 || runsOnHost(job)) continue
      const refs: Array<[string, Job | undefined]> = [...(job.build ? [] : [[job.image, job] as [string, Job]]), ...Object.values(job.services).map((s): [string, undefined] => [s.image, undefined])]
      for (const [ref, owner] of refs) {
        const mustPull = owner !== undefined && (owner.pull === 'always' || owner.platform !== undefined)
        void (async () => {
          if (!mustPull && (await this.options.imageId?.(ref).catch(() => undefined))) return
          await (owner ? this.forJob(owner) : this.serviceId(ref))
        })().catch(() => undefined)
      }
    }
  }

  /** Hashes a job's build context now, so a missing Dockerfile or context fails the job (only it) before it is keyed. */
  checkBuild(job: Job): void {
    if (!job.build || job.steps.length === 0 || runsOnHost(job)) return
    try {
      this.options.contexts.of(job)
    } catch (error) {
      const cause = error instanceof OrcaError ? error : new OrcaError('infra', (error as Error).message, {cause: error})
      this.emitter.emit({type: 'image.failed', image: job.image, message: cause.message})
      throw new ImageUnavailableError(job.image, cause, 'build')
    }
  }

  private requestOf(job: Job): ImageRequest {
    if (!job.build) {
      return {kind: 'pull', ref: job.image, ...(job.pull ? {pull: job.pull} : {}), ...(job.platform ? {platform: job.platform} : {})}
    }
    const context = this.options.contexts.of(job)
    return {
      kind: 'build',
      label: job.image,
      tag: buildTag(this.options.projectId, context),
      contextDir: context.dir,
      files: context.files.map((f) => f.path),
      dockerfile: job.build.dockerfile,
      args: job.build.args,
      ...(job.build.target !== undefined ? {target: job.build.target} : {}),
      ...(job.platform !== undefined ? {platform: job.platform} : {}),
      projectDir: this.options.contexts.projectDir,
    }
  }

  private prepare(request: ImageRequest, label: string, onBuildOutput?: (text: string) => void): Promise<string | undefined> {
    const id = request.kind === 'build' ? `build ${request.tag}` : `pull ${request.ref} ${request.pull ?? 'missing'} ${request.platform ?? ''}`
    let preparation = this.preparations.get(id)
    if (preparation === undefined) {
      const started = Date.now()
      const created: Preparation = {label, lines: [], listeners: new Set(), id: Promise.resolve(undefined)}
      let source: 'present' | 'pulled' | 'built' = 'present'
      const onEvent = (event: ExecutorEvent): void => {
        if (event.type === 'image.pull') {
          source = 'pulled'
          this.emitter.emit({...event})
        } else if (event.type === 'image.build') {
          source = 'built'
          created.lines.push(event.text)
          for (const listener of created.listeners) listener(event.text)
        }
      }
      const prepareWith = async (executor: Executor): Promise<string | undefined> => {
        if (executor.prepareImage) return executor.prepareImage(request, {signal: this.signal, onEvent})
        if (request.kind === 'build') throw new OrcaError('infra', `this executor cannot build images (${label})`)
        const ids = await executor.prepare([request.ref], {signal: this.signal, onEvent})
        return ids.get(request.ref)
      }
      // An engine that cannot be reached is the run's problem (it stops), not one image's.
      created.id = this.session.get().then((executor) => prepareWith(executor).then(
        (imageId) => {
          if (imageId !== undefined) this.emitter.emit({type: 'image.ready', image: label, imageId, source, durationMs: Date.now() - started})
          return imageId
        },
        (error: unknown) => {
          const cause = error instanceof OrcaError ? error : new OrcaError('infra', (error as Error)?.message ?? String(error), {cause: error})
          if (cause.kind !== 'cancelled') this.emitter.emit({type: 'image.failed', image: label, message: cause.message})
          throw new ImageUnavailableError(label, cause, request.kind)
        },
      ))
      this.preparations.set(id, created)
      preparation = created
    }
    if (onBuildOutput) {
      for (const line of preparation.lines) onBuildOutput(line)
      const listener = onBuildOutput
      const waiting = preparation
      waiting.listeners.add(listener)
      waiting.id.then(
        () => waiting.listeners.delete(listener),
        () => waiting.listeners.delete(listener),
      )
    }
    return preparation.id
  }
}
