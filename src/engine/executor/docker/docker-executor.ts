import {statSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'
import type Docker from 'dockerode'
import {formatDuration} from '../../duration.js'
import {OrcaError} from '../../errors.js'
import type {ExecutorEvent, Executor, ImageRequest, JobContext, JobOutcome, Leak, PrestartContext, Prestarted, ResourceScope, RunOutcomeStatus, StepResult} from '../types.js'
import {projectIdentity, type ProjectIdentity} from '../../project-identity.js'
import {UnsafeArchiveError} from '../archive/extract.js'
import {collectArtifacts, readContainerFile} from './artifacts.js'
import {dockerMessage, statusCode, withTimeout} from './call.js'
import {ContainerOutput, stepMarker} from './container-output.js'
import {containerSpec, KEPT_REPOSITORY, LABEL, projectLabels, stepCommand, volumeName, type EngineSocket} from './container-spec.js'
import {EarlyContainer, stampInputs, type StartedContainer} from './early-container.js'
import {ENGINE_TIMEOUT_MS, watchEngine} from './engine-watch.js'
import {execInContainer, type ExecOptions} from './exec.js'
import {execShell} from './exec-shell.js'
import {PausableTimer} from '../../pausable-timer.js'
import {ExecTar, type ArchiveSource} from './exec-tar.js'
import {buildImage} from './image-build.js'
import {ensureImage} from './images.js'
import {isRootUser, jobUser} from './job-user.js'
import type {RegistryAuth} from './registry-auth.js'
import {engineRemoves, keepsContainer} from './policy.js'
import {createJobNetwork, removeNetwork, removeRunNetworks} from './job-network.js'
import {endContainer, listLeaks, removeContainer, removeRunContainers} from './resources.js'
import {listExpiredKept, removeKeptContainer} from './kept.js'
import {JobServices, ServiceNotReadyError} from './services.js'
import {PhaseTrace} from './phase-trace.js'
import {ContainerStopper} from './stopper.js'
import {copyIntoWorkdir, nothingToCopy, workspaceArchiveOf, workspaceOwner, type WorkspaceContent, type WorkspaceOwner} from './workspace-copy.js'
import {execFoldedStep, foldFrame, needsSentinel, type FoldedArchive, type FoldResult} from './step-fold.js'
import {fetchSources} from '../archive/collect.js'
import {collectsArtifacts, finishStep, holdFailedStep, startStep, stepRuns, type StartedStep} from '../step-rules.js'
import {expiryAfter} from '../../expiry.js'
import {restoreVolumes, saveVolumes} from './volume-transfer.js'
import {exportable, keptAlive, orderToken, takingOrders, type AttachedShell} from './attached-steps.js'

// Kept importable from here: this module loads dockerode only through connectDocker.
export {connectDocker} from './connect.js'

export interface DockerExecutorOptions {
  /** Time between SIGTERM and SIGKILL when a step or job is stopped. */
  graceMs?: number
  maxArtifactBytes?: number
  maxArtifactEntries?: number
  /** Where the engine was found, for messages. */
  endpoint?: string
  /** A job whose engine does not answer a ping for this long ends as an infra failure. */
  engineTimeoutMs?: number
  /**
   * Where steps write their output: the container's own output, read through one attach per job
   * (default; background processes then never hold a step open), or each step's exec (the fallback
   * when a container cannot offer its output, chosen here by tests and benchmarks).
   */
  stepOutput?: 'container' | 'exec'
  /** Credentials for a registry host, when a pull needs them (see registryAuth). */
  registryAuth?: (registry: string) => RegistryAuth | undefined
  /** Where the phases of each job's container are timed to (`ORCA_TRACE`); default: nowhere. */
  trace?: PhaseTrace
  /**
   * How files go into and out of containers: through an exec of the image's tar where it has a usable
   * one (default), or always through the engine's archive calls (`ORCA_EXEC_TAR=0`; the plain path).
   */
  transfers?: 'exec' | 'archive'
  /**
   * Who removes a finished job's container where nothing is read from it after it stops: the engine,
   * told at create (`AutoRemove`) and ended by a signal (default), or orca's awaited removal
   * (`ORCA_AUTO_REMOVE=0`; the plain path).
   */
  removal?: 'engine' | 'orca'
  /**
   * Whether a job's needs' artifacts go in, and its artifacts come out, through the exec of its first
   * and last step where transfers go through its tar (default), or through execs of their own
   * (`ORCA_FOLD_EXEC=0`; the plain path). See step-fold.ts.
   */
  fold?: 'exec' | 'separate'
  /**
   * Whether the steps of a job whose transfers fold run in its container's main process, given on its
   * stdin through the attach (default), or each in an exec (`ORCA_ATTACH=0`). See attached-steps.ts.
   */
  attach?: 'stdin' | 'exec'
}

const DEFAULTS = {
  graceMs: 5_000,
  maxArtifactBytes: 2 * 1024 ** 3,
  maxArtifactEntries: 100_000,
  engineTimeoutMs: ENGINE_TIMEOUT_MS,
  stepOutput: 'container' as 'container' | 'exec',
}

/** How long a container may take to say whether steps can write to its output before they use their exec. */
const OUTPUT_HANDSHAKE_MS = 10_000
/** How long after a step's exec ends its end marker may take to arrive before its output is taken as complete. */
const STEP_MARKER_MS = 10_000

type JobError = NonNullable<JobOutcome['error']>

/** What every run of a `docker: true` job says (a job.warning the views show, recorded with the run). */
const DOCKER_HOST_WARNING =
  "docker: true gives this job the host's Docker engine: it can start privileged containers and read or change any file of the host"

/** GitHub's limit on a job's outputs, as one file: more is refused, not cut (a cut value would be wrong). */
const MAX_OUTPUTS_BYTES = 1024 * 1024

/** Inspections (400 ms apart) of a container whose step died of a signal, before calling it a step failure. */
const SIGNAL_DEATH_CHECKS = 6

/**
 * Runs each job in a fresh container of a Docker engine (docs/running.md). Choices the docs leave open:
 * - every step appears in `steps`; those that never ran are `skipped` and get a `step.finished` event too;
 * - after a failing step, only steps with `when: on_failure` or `always` run (the job stays failed);
 * - artifacts are collected from a succeeded job (as GitHub Actions users expect), or by `artifacts.when`
 *   also from one that failed or timed out; reports and outputs from any job that was not cancelled;
 * - job env and secrets go to each exec, never to the container config, labels or Cmd;
 * - Docker cannot relabel a container, so a kept one is stopped, committed to an image, and re-created
 *   from it (not started) as `<name>-kept` with the label `orca.kept=true`; the original is removed.
 */
export class DockerExecutor implements Executor {
  readonly endpoint?: string
  private readonly options: typeof DEFAULTS
  /** An engine watch fired during this executor's life: cleanup checks the engine answers first. */
  private lost = false
  readonly registryAuth?: (registry: string) => RegistryAuth | undefined
  private readonly trace: PhaseTrace
  /** Removals of finished jobs' containers, off the path to their dependents; `flush` awaits them. */
  private readonly removals = new Set<Promise<void>>()
  /** Each image's own USER, by image ID. */
  private readonly imageUsers = new Map<string, Promise<string>>()
  /** Transfers through the containers' own tar; undefined: the archive calls only. */
  private readonly execTar: ExecTar | undefined
  /** Containers that allow it are removed by the engine once ended (see engineRemoves). */
  private readonly engineRemoval: boolean
  /** Transfers folded into the steps' execs where they go through the container's tar (see step-fold.ts). */
  private readonly foldExec: boolean
  /** Root jobs' containers take their steps on their stdin where they can (see attached-steps.ts). */
  private readonly attachSteps: boolean

  constructor(
    readonly docker: Docker,
    options: DockerExecutorOptions = {},
  ) {
    this.endpoint = options.endpoint
    this.registryAuth = options.registryAuth
    this.options = {
      graceMs: options.graceMs ?? DEFAULTS.graceMs,
      maxArtifactBytes: options.maxArtifactBytes ?? DEFAULTS.maxArtifactBytes,
      maxArtifactEntries: options.maxArtifactEntries ?? DEFAULTS.maxArtifactEntries,
      engineTimeoutMs: options.engineTimeoutMs ?? DEFAULTS.engineTimeoutMs,
      stepOutput: options.stepOutput ?? DEFAULTS.stepOutput,
    }
    this.trace = options.trace ?? new PhaseTrace(undefined)
    this.execTar = options.transfers === 'archive' ? undefined : new ExecTar(docker)
    this.engineRemoval = options.removal !== 'orca'
    this.foldExec = options.fold !== 'separate'
    this.attachSteps = options.attach !== 'exec'
  }

  async prepare(images: string[], options: {signal: AbortSignal; onEvent?: (e: ExecutorEvent) => void}): Promise<Map<string, string>> {
    const refs = [...new Set(images)]
    const ids = await Promise.all(refs.map((ref) => this.prepareImage({kind: 'pull', ref}, options)))
    return new Map(refs.map((ref, i) => [ref, ids[i]!]))
  }

  async prepareImage(request: ImageRequest, options: {signal: AbortSignal; onEvent?: (e: ExecutorEvent) => void}): Promise<string> {
    if (request.kind === 'build') return buildImage(this.docker, request, options.signal, options.onEvent)
    return ensureImage(this.docker, request.ref, options.signal, options.onEvent, {pull: request.pull, platform: request.platform, auth: this.registryAuth})
  }

  async runJob(ctx: JobContext): Promise<JobOutcome> {
    const {job} = ctx
    const steps: StepResult[] = []
    const stopper = new ContainerStopper(this.options.graceMs)
    const onCancel = (): void => stopper.stop('cancelled', `job "${job.name}" was cancelled`)
    const onForce = (): void => stopper.kill('cancelled', `job "${job.name}" was cancelled`)
    const jobTimer = new PausableTimer(
      () => stopper.stop('timed_out', `job "${job.name}" exceeded its timeout of ${formatDuration(job.timeoutMs)}`),
      job.timeoutMs,
    )
    ctx.cancel.addEventListener('abort', onCancel, {once: true})
    ctx.force.addEventListener('abort', onForce, {once: true})
    if (ctx.cancel.aborted) onCancel()
    if (ctx.force.aborted) onForce()

    let container: Docker.Container | undefined
    let output: ContainerOutput | undefined
    let spec: Docker.ContainerCreateOptions | undefined
    let imageId: string | undefined
    const progress: StepProgress = {failed: false, timer: jobTimer}
    let error: JobError | undefined
    let artifacts: JobOutcome['artifacts'] = []
    let reports: JobOutcome['reports']
    let outputText: string | undefined
    let services: JobServices | undefined
    let network: string | undefined
    let servicesReady: Promise<void> | undefined
    /**
     * The job runs as root: only then do transfers go through the container's tar. Run as root, it would
     * hand a job of another user root should the job replace it; and busybox tar leaves links it makes to root.
     */
    let rootUser = false
    /** The main process's orders, when it runs the job's steps (attached-steps.ts). */
    let orders: AttachedShell | undefined
    // Ends the services' start and readiness wait when the job fails before they are needed.
    const abandonServices = new AbortController()
    const where = {run: ctx.runId, job: job.name}
    const unwatch = watchEngine(
      this.docker,
      this.options.engineTimeoutMs,
      (message) => {
        this.lost = true
        stopper.lose(message)
      },
      {current: () => container, onGone: (message) => stopper.removed(message)},
    )
    try {
      if (stopper.reason) throw new OrcaError('cancelled', stopper.message ?? 'stopped')
      const stopped = stopperEnd(stopper, 'stopped while copying inputs')
      const early = ctx.prestarted instanceof EarlyContainer ? await ctx.prestarted.take(ctx.inputFiles) : undefined
      if (early) {
        ;({container, spec, imageId, output} = early)
        if (job.docker) ctx.emit({type: 'job.warning', warning: {kind: 'docker-host', message: DOCKER_HOST_WARNING}})
        ctx.emit({type: 'job.container', containerId: container.id, imageId})
        stopper.attach(container)
        ctx.onContainerStarted?.()
        // The container, the job's inputs and its outputs file are there: only the needs' artifacts (and .git) remain.
        const needs = {...this.workspace(ctx, early.owner), files: [], outputFile: undefined}
        rootUser = early.owner === undefined
        orders = this.ordersFor(ctx, output, rootUser)
        if (ctx.needArtifacts.some((a) => a.length > 0) || ctx.gitDir !== undefined) {
          const into = container
          // Fed to the first step's exec (or the main process) where it can take them; copied in by an exec of their own otherwise.
          if (await this.foldsNeeds(ctx, into, early.imageId, rootUser, orders)) progress.needs = {content: needs, phase: 'copy-needs'}
          else await this.trace.time(where, 'copy-needs', this.copyIn(into, early.imageId, needs, stopped, rootUser))
        }
      } else {
        imageId = ctx.imageId ?? (await this.trace.time(where, 'image', ensureImage(this.docker, job.image, ctx.cancel, undefined, {platform: job.platform, auth: this.registryAuth})))
        const project = projectIdentity(ctx.projectDir)
        const user = await jobUser(this.docker, job.user, imageId, this.imageUsers)
        rootUser = isRootUser(user)
        await this.ensureVolumes(job.volumes, project)
        if (Object.keys(job.services).length > 0) {
          // The loader refuses this; a job from elsewhere (an API caller) must not get a network it turned off.
          if (job.network === 'none') throw new OrcaError('config', `jobs.${job.name}.network: a job with services needs a network, not "none"`)
          network = await createJobNetwork(this.docker, ctx.runId, job.name, project, ctx.attempt)
          const signal = AbortSignal.any([stopper.stoppedSignal, abandonServices.signal])
          services = new JobServices(this.docker, {runId: ctx.runId, job, policy: ctx.cleanup, project, network, secrets: ctx.secrets ?? {}, log: ctx.serviceLog, signal, attempt: ctx.attempt})
          // Every service starts now, while the job's container is made and its inputs copied in.
          const starting = services
          servicesReady = starting.start().then(async () => starting.ready())
          servicesReady.catch(() => undefined)
        }
        const engineSocket = job.docker ? this.engineSocket(job.name) : undefined
        if (engineSocket) ctx.emit({type: 'job.warning', warning: {kind: 'docker-host', message: DOCKER_HOST_WARNING}})
        const token = this.ordersToken(rootUser, services === undefined)
        spec = this.removedBy(containerSpec(ctx.runId, job, ctx.cleanup, imageId, project, network, ctx.attempt, engineSocket), job, ctx.cleanup, network)
        if (token !== undefined) spec = takingOrders(spec)
        container = await this.trace.time(where, 'create', withTimeout(this.docker.createContainer(spec), 'create container'))
        ctx.emit({type: 'job.container', containerId: container.id, imageId})
        stopper.attach(container)
        output = await this.attachOutput(container, token)
        await this.trace.time(where, 'start', withTimeout(container.start(), 'start container'))
        ctx.onContainerStarted?.()
        // The image's first container finds out whether it has a usable tar while the job runs, not when its files move
        // (a main process that may take orders tried its own at its start).
        if (rootUser && token === undefined) void this.tarOf(container, imageId)
        const relay = output?.ready(OUTPUT_HANDSHAKE_MS, stopper.abandon)
        const started = container
        const startedFrom = imageId
        const content = this.workspace(ctx, await workspaceOwner(started, user))
        // Whether the main process takes the steps decides where the files go: its handshake first.
        if (token !== undefined && !(await relay)) output = undefined
        orders = this.ordersFor(ctx, output, rootUser)
        // Without services to overlap with, the job's files go in through its first step's exec where they can.
        if (servicesReady === undefined && !nothingToCopy(content) && (await this.foldsNeeds(ctx, started, startedFrom, rootUser, orders))) progress.needs = {content, phase: 'copy-in'}
        else await this.trace.time(where, 'copy-in', this.copyIn(started, startedFrom, content, stopped, rootUser))
        if (!(await relay)) output = undefined
        // The first step runs once every service is ready.
        if (servicesReady) await this.trace.time(where, 'services', servicesReady)
      }

      // Keyed volumes that are empty get their cached content before the first step.
      if (ctx.volumeCache && !stopper.reason) await this.trace.time(where, 'volumes-in', restoreVolumes(container, ctx.volumeCache))
      progress.orders = output === undefined ? undefined : orders
      // Its trap waits for a step in its foreground: a stop signals every process itself.
      if (progress.orders) stopper.signalsEveryProcess = true
      progress.collect = progress.orders === undefined && rootUser && imageId !== undefined && output !== undefined ? await this.foldedCollection(ctx, container, imageId) : undefined
      await this.runSteps(container, ctx, stopper, output, steps, progress, services)
      const ended = endedAs(stopper, progress)
      if (ended === 'succeeded') {
        if (ctx.volumeCache) await this.trace.time(where, 'volumes-out', saveVolumes(container, ctx.volumeCache))
        if (collectsArtifacts(job, ended)) {
          // A job that did not succeed may have a stopped container, which no exec reaches: it keeps the archive calls.
          const from = container
          // The last step's exec may have written the archive already (see step-fold.ts); the main process writes it when it took the steps.
          const tar = progress.orders ?? progress.collected ?? (rootUser && imageId !== undefined ? await this.tarOf(container, imageId) : undefined)
          artifacts = await this.trace.time(where, 'collect', this.collect(from, ctx, stopper, job.artifacts, ctx.artifactsDir, stopper.abandon, tar))
        }
      } else if (collectsArtifacts(job, ended)) {
        // After a failure the job's end is already decided: a collection that fails is a warning.
        artifacts = await this.collectAfterEnd(container, ctx, stopper, job.artifacts, ctx.artifactsDir, 'artifacts')
      }
      if (job.reports && ended !== 'cancelled') reports = await this.collectAfterEnd(container, ctx, stopper, job.reports.junit, ctx.reportsDir, 'reports')
      if (ctx.outputFile !== undefined && ended !== 'cancelled') outputText = await this.readOutputs(container, ctx, stopper)
    } catch (caught) {
      error = describeFailure(caught, stopper)
      const step = progress.running === undefined ? undefined : job.steps[progress.running]
      if (step) {
        // A failure inside a step (the daemon went away...): that step failed, it was not skipped.
        steps.push(finishStep(ctx, steps.length, step, stopper.reason ?? 'failed', null, 0))
      }
    } finally {
      // An archive the last step's exec wrote that nothing read (the job did not end as it would be collected).
      progress.collected?.discard()
      // Nothing may still be starting a service when they are removed.
      abandonServices.abort()
      await servicesReady?.catch(() => undefined)
      output?.dispose()
      unwatch()
      jobTimer.clear()
      ctx.cancel.removeEventListener('abort', onCancel)
      ctx.force.removeEventListener('abort', onForce)
    }
    const status: RunOutcomeStatus = stopper.lost ? 'failed' : (stopper.reason ?? (progress.failed || error ? 'failed' : 'succeeded'))
    if (!error && stopper.reason) error = {kind: stopper.reason === 'timed_out' ? 'timeout' : 'cancelled', message: stopper.message ?? ''}
    // Every step appears in the record: those that never ran are `skipped` (with a step.finished event).
    for (let index = steps.length; index < job.steps.length; index++) {
      steps.push(finishStep(ctx, index, job.steps[index]!, 'skipped', null, 0))
    }
    const engineGone = stopper.lost && !(await this.answers())
    // The job's container and its services go (or are kept) at once; the network once they are off it.
    const keptUntil = ctx.keepForMs === undefined ? undefined : expiryAfter(Date.now(), ctx.keepForMs)
    const servicesDone = engineGone ? undefined : this.finishServices(services, ctx, status, keptUntil)
    // A container alone on the default network is removed in the background: its dependents need not wait for it.
    const inBackground = ctx.removeInBackground === true && network === undefined
    const {cleanup, containerId} = engineGone ? {cleanup: 'none' as const, containerId: container?.id} : await this.finish(container, spec, ctx, status, inBackground, keptUntil)
    await servicesDone
    if (!engineGone && network !== undefined) await removeNetwork(this.docker, network).catch(() => undefined)
    stopper.dispose()
    return {status, steps, artifacts, containerId, imageId, cleanup, ...(cleanup === 'kept' && keptUntil !== undefined ? {keptUntil} : {}), ...(reports ? {reports} : {}), ...(outputText !== undefined ? {outputText} : {}), ...(error ? {error} : {})}
  }

  /**
   * Starts making the job's container now, while its needs run: image, volumes, create, start, the
   * job's own inputs and outputs file. A job with services is not started ahead (its network and
   * services would wait idle, holding ports and memory): its container is made when it runs.
   */
  prestart(ctx: PrestartContext): Prestarted | undefined {
    if (Object.keys(ctx.job.services).length > 0) return undefined
    return new EarlyContainer(ctx.projectDir, async (signal) => this.startEarly(ctx, signal), removeContainer)
  }

  /** Copies `content` into the container's workdir, through its tar when `viaTar` (a root job's) and its image has a usable one. */
  private async copyIn(container: Docker.Container, imageId: string, content: WorkspaceContent, until: Promise<never>, viaTar: boolean): Promise<void> {
    if (nothingToCopy(content)) return
    await copyIntoWorkdir(container, content, until, viaTar ? await this.tarOf(container, imageId) : undefined)
  }

  /** The container's tar for transfers when its image has a usable one (probed once per image); undefined: the archive calls. */
  private async tarOf(container: Docker.Container, imageId: string): Promise<ExecTar | undefined> {
    if (this.execTar === undefined) return undefined
    return (await this.execTar.usableIn(container, imageId)) ? this.execTar : undefined
  }

  /**
   * True when the job's files (its needs' artifacts, or all of them in a container not made ahead) can
   * go in through the first step's exec (step-fold.ts): where they
   * would go through the container's tar, the first step runs on a job that has not failed, no keyed
   * volume is restored before it, and the step's env leaves PATH (which finds tar) as the image has it.
   */
  private async foldsNeeds(ctx: JobContext, container: Docker.Container, imageId: string, rootUser: boolean, orders: AttachedShell | undefined): Promise<boolean> {
    const first = ctx.job.steps[0]
    if (!rootUser || first === undefined || first.when === 'on_failure' || !this.folds(ctx, first)) return false
    // The main process's handshake said its tar works.
    if (orders !== undefined) return true
    return (await this.tarOf(container, imageId)) !== undefined
  }

  /**
   * What the last step's exec collects after it (step-fold.ts), where the collection of a succeeded job
   * goes through the container's tar in one archive and steps write to the container's output (the
   * exec's own output then holds nothing of the step's after it); undefined: collected on its own.
   */
  private async foldedCollection(ctx: JobContext, container: Docker.Container, imageId: string): Promise<{index: number; source: string} | undefined> {
    const last = ctx.job.steps.length - 1
    if (last < 0 || !collectsArtifacts(ctx.job, 'succeeded') || !this.folds(ctx, ctx.job.steps[last]!)) return undefined
    const sources = fetchSources(ctx.job.workdir, ctx.job.artifacts)
    if (sources.length !== 1) return undefined
    return (await this.tarOf(container, imageId)) === undefined ? undefined : {index: last, source: sources[0]!}
  }

  /**
   * Whether a transfer may ride on this step's exec: folding is on, no keyed volume is restored around
   * the steps, and the step's env leaves PATH (which finds tar) as the image has it.
   */
  private folds(ctx: JobContext, step: JobContext['job']['steps'][number]): boolean {
    return this.foldExec && !ctx.volumeCache && !('PATH' in ctx.env) && !('PATH' in step.env)
  }

  /** The spec with `AutoRemove` where the engine may remove the container itself (see engineRemoves). */
  private removedBy(spec: Docker.ContainerCreateOptions, job: JobContext['job'], policy: JobContext['cleanup'], network: string | undefined): Docker.ContainerCreateOptions {
    if (!this.engineRemoval || !engineRemoves(job, policy, network)) return spec
    return {...spec, HostConfig: {...spec.HostConfig, AutoRemove: true}}
  }

  /** A token for a container that may take its steps on its stdin (attached-steps.ts): a root job's without services. */
  private ordersToken(rootUser: boolean, withoutServices: boolean): string | undefined {
    return this.attachSteps && this.foldExec && this.options.stepOutput === 'container' && rootUser && withoutServices ? orderToken() : undefined
  }

  /**
   * The attach that reads the container's output (and, with `token`, holds its stdin); without it,
   * steps write to their exec (ContainerOutput explains the difference). A container taking orders
   * has no such fallback: unattached, its stdin would never end.
   */
  private async attachOutput(container: Docker.Container, token: string | undefined): Promise<ContainerOutput | undefined> {
    if (this.options.stepOutput !== 'container') return undefined
    return ContainerOutput.attach(this.docker, container, token).catch((error: unknown) => {
      if (token === undefined) return undefined
      throw error
    })
  }

  /**
   * The main process's orders when the job's steps can run there (attached-steps.ts): it said it can
   * take them (its tar among what it tried), the job's transfers fold (root, every step's env leaving
   * PATH, no keyed volume) and every env name can be exported by sh; undefined: the steps run in execs.
   */
  private ordersFor(ctx: JobContext, output: ContainerOutput | undefined, rootUser: boolean): AttachedShell | undefined {
    const orders = output?.orders
    if (orders === undefined || !rootUser || !ctx.job.steps.every((step) => this.folds(ctx, step))) return undefined
    return [ctx.env, ...ctx.job.steps.map((step) => step.env)].flatMap((env) => Object.keys(env)).every(exportable) ? orders : undefined
  }

  /** Awaits the removals of finished jobs' containers started in the background. */
  async flush(): Promise<void> {
    while (this.removals.size > 0) await Promise.all(this.removals)
  }

  private async startEarly(ctx: PrestartContext, signal: AbortSignal): Promise<StartedContainer & {files: string[]; stamps: ReturnType<typeof stampInputs>}> {
    const where = {run: ctx.runId, job: ctx.job.name, early: true}
    const aborted = abortedBy(signal)
    // The run made the image present (pulled by its policy, or built); a caller that did not leaves it to the engine.
    const imageId = (await ctx.image) ?? (await this.trace.time(where, 'image', ensureImage(this.docker, ctx.job.image, signal, undefined, {platform: ctx.job.platform, auth: this.registryAuth})))
    const project = projectIdentity(ctx.projectDir)
    const user = await jobUser(this.docker, ctx.job.user, imageId, this.imageUsers)
    await this.ensureVolumes(ctx.job.volumes, project)
    // The first attempt's container; the job warns of docker: true when it takes it.
    const token = this.ordersToken(isRootUser(user), true)
    const plain = this.removedBy(containerSpec(ctx.runId, ctx.job, ctx.cleanup, imageId, project, undefined, 1, ctx.job.docker ? this.engineSocket(ctx.job.name) : undefined), ctx.job, ctx.cleanup, undefined)
    const spec = token === undefined ? plain : takingOrders(plain)
    if (signal.aborted) throw new OrcaError('cancelled', 'not needed')
    const container = await this.trace.time(where, 'create', withTimeout(this.docker.createContainer(spec), 'create container'))
    let output: ContainerOutput | undefined
    try {
      if (signal.aborted) throw new OrcaError('cancelled', 'not needed')
      output = await this.attachOutput(container, token)
      await this.trace.time(where, 'start', withTimeout(container.start(), 'start container'))
      if (isRootUser(user) && token === undefined) void this.tarOf(container, imageId)
      const relay = output?.ready(OUTPUT_HANDSHAKE_MS, aborted.catch(() => undefined))
      // Stamped before they are read: a file changed after this is seen by the job that takes the container.
      const stamps = stampInputs(ctx.projectDir, ctx.inputFiles)
      let owner: WorkspaceOwner
      await this.trace.time(where, 'copy-in', async () => {
        owner = await workspaceOwner(container, user)
        await this.copyIn(container, imageId, this.workspace(ctx, owner), aborted, owner === undefined)
      })
      if (!(await relay)) output = undefined
      if (signal.aborted) throw new OrcaError('cancelled', 'not needed')
      return {container, spec, imageId, owner, ...(output ? {output} : {}), files: ctx.inputFiles, stamps}
    } catch (error) {
      // Removed before its attach ends, so the name is free for the job's own container (see EarlyContainer.drop).
      await removeContainer(container).catch(() => undefined)
      output?.dispose()
      throw error
    }
  }

  async cleanup(runId: string): Promise<void> {
    // An engine that was lost and still does not answer leaves the containers to `orca clean --leaks`.
    if (this.lost && !(await this.answers())) return
    await removeRunContainers(this.docker, runId)
    await removeRunNetworks(this.docker, runId)
  }

  async findLeaks(isRunAlive: (runId: string) => boolean, scope: ResourceScope): Promise<Leak[]> {
    return listLeaks(this.docker, isRunAlive, scope)
  }

  async removeExpiredKept(scope: ResourceScope, now: number, exceptRun?: string): Promise<void> {
    for (const kept of await listExpiredKept(this.docker, scope, now)) {
      if (kept.runId !== exceptRun) await removeKeptContainer(this.docker, kept).catch(() => undefined)
    }
  }

  /** Removes one leak found by `findLeaks`. */
  async removeLeak(leak: Leak): Promise<void> {
    if (leak.kind === 'container') await removeContainer(this.docker.getContainer(leak.id))
    else if (leak.kind === 'network') await removeNetwork(this.docker, leak.id)
  }

  /** The socket of the engine orca talks to, for a `docker: true` job; an engine reached over TCP has none to give. */
  private engineSocket(job: string): EngineSocket {
    const socket = (this.docker.modem as {socketPath?: unknown}).socketPath
    if (typeof socket !== 'string' || socket.startsWith('//')) {
      throw new OrcaError('config', `jobs.${job}.docker: the engine is reached at ${this.endpoint ?? 'a network address'}, not a Unix socket a job could be given`, {
        hint: 'run orca against a local engine (unix:// socket) for jobs with docker: true',
      })
    }
    let gid: number | undefined
    try {
      gid = statSync(socket).gid
    } catch {
      // Not on this machine's filesystem (a socket forwarded elsewhere): root in the job still reaches it.
    }
    return {path: socket, ...(gid === undefined || gid === 0 ? {} : {gid})}
  }

  /** True when the engine answers a ping within a few seconds. */
  private async answers(): Promise<boolean> {
    return withTimeout(this.docker.ping(), 'ping', 3_000).then(
      () => true,
      () => false,
    )
  }

  /** The steps in order, in the one container; the first failing step (not allowed to fail) ends them. */
  private async runSteps(
    container: Docker.Container,
    ctx: JobContext,
    stopper: ContainerStopper,
    output: ContainerOutput | undefined,
    steps: StepResult[],
    progress: StepProgress,
    services: JobServices | undefined,
  ): Promise<void> {
    for (const [index, step] of ctx.job.steps.entries()) {
      // After a timeout or a cancel the container is being stopped: no step runs, whatever its `when`.
      if (stopper.reason || stopper.lost) break
      if (!stepRuns(step.when, progress.failed)) {
        steps.push(finishStep(ctx, index, step, 'skipped', null, 0))
        continue
      }
      // Timed from before the step's first line runs: a transfer folded into its exec starts inside it.
      const result = await this.trace.time({run: ctx.runId, job: ctx.job.name}, `step ${index}`, () => this.runStep(container, ctx, index, stopper, output, services, progress))
      progress.running = undefined
      steps.push(result)
      if (result.status !== 'succeeded' && !step.allowFailure) {
        progress.failed = true
        if (result.status === 'failed' && ctx.onStepFailed) await this.holdForShell(container, ctx, index, result.exitCode, progress.timer)
      }
    }
  }

  /** `--interactive`: the failed step's container stays as it is while the user's shell is open in it. */
  private async holdForShell(container: Docker.Container, ctx: JobContext, index: number, exitCode: number | null, timer: PausableTimer): Promise<void> {
    const env = {...ctx.env, ...ctx.job.steps[index]!.env}
    await holdFailedStep(ctx, index, exitCode, timer, ctx.job.workdir, async (terminal) => execShell(this.docker, container, terminal, {env, workdir: ctx.job.workdir}))
  }

  private async runStep(
    container: Docker.Container,
    ctx: JobContext,
    index: number,
    stopper: ContainerStopper,
    output: ContainerOutput | undefined,
    services: JobServices | undefined,
    progress: StepProgress,
  ): Promise<StepResult> {
    const step = ctx.job.steps[index]!
    const needs = index === 0 ? progress.needs : undefined
    let started: StartedStep | undefined
    // Output read from the container's own stream may arrive before the exec says the needs are in: it waits for the step's start.
    let early: Array<['stdout' | 'stderr', Buffer]> | undefined = needs === undefined ? undefined : []
    const emit = (stream: 'stdout' | 'stderr', chunk: Buffer): void => ctx.emit({type: 'step.output', step: index, stream, chunk})
    const onOutput = (stream: 'stdout' | 'stderr', chunk: Buffer): void => void (early ? early.push([stream, Buffer.from(chunk)]) : emit(stream, chunk))
    // The step is under way (its event, its timeout) once it starts: after its needs are in, when its exec takes them.
    const begin = (): void => {
      started = startStep(ctx, index, (message) => stopper.stop('timed_out', message))
      progress.running = index
      const held = early ?? []
      early = undefined
      for (const [stream, chunk] of held) emit(stream, chunk)
    }
    const marker = output ? stepMarker() : undefined
    const window = marker === undefined ? undefined : output?.openStep(marker, onOutput)
    const exec = {cmd: stepCommand(step.run, marker, step.shell), env: {...ctx.env, ...step.env}, workdir: ctx.job.workdir, onOutput, abandon: stopper.abandon}
    const collect = progress.collect?.index === index && !progress.failed ? progress.collect.source : undefined
    try {
      let exitCode: number | null
      if (progress.orders && marker !== undefined) {
        exitCode = await this.runAttached(progress.orders, ctx, step, exec.env, marker, needs, begin, stopper)
        if (exitCode === null && !stopper.reason && !stopper.lost) {
          await assertContainerAlive(container, ctx.job.name, exitCode)
          throw new OrcaError('infra', `the attach to the container of job "${ctx.job.name}" ended during a step`)
        }
      } else if (needs === undefined && collect === undefined) {
        begin()
        exitCode = await execInContainer(this.docker, container, exec)
      } else {
        const folded = await this.execFolded(container, ctx, exec, needs, collect, begin)
        if (!folded.started) throw new OrcaError('infra', stopper.lost ?? 'stopped while copying inputs')
        exitCode = folded.exitCode
        progress.collected = folded.artifacts
      }
      // The step's shell has exited: its output is complete once its marker arrives.
      if (window && exitCode !== null) await window.finished(STEP_MARKER_MS, stopper.abandon)
      if (stopper.lost) throw new OrcaError('infra', stopper.lost)
      if (!stopper.reason && exitCode !== 0) await assertContainerAlive(container, ctx.job.name, exitCode)
      const status = stopper.reason ?? (exitCode === 0 ? 'succeeded' : 'failed')
      // A failing test against a database is often explained by the database's log.
      if (services && status !== 'succeeded' && !step.allowFailure) {
        ctx.emit({type: 'step.output', step: index, stream: 'stderr', chunk: Buffer.from(`[orca] the step ${status === 'failed' ? 'failed' : 'was stopped'};${services.tails()}\n`)})
      }
      return finishStep(ctx, index, step, status, stopper.reason ? null : exitCode, Date.now() - started!.startedAt)
    } finally {
      window?.close()
      started?.disarm()
    }
  }

  /** A step run by the container's main process (attached-steps.ts), its needs extracted first; `begin` once it starts. */
  private async runAttached(
    orders: AttachedShell,
    ctx: JobContext,
    step: JobContext['job']['steps'][number],
    env: Record<string, string>,
    marker: string,
    needs: StepProgress['needs'],
    begin: () => void,
    stopper: ContainerStopper,
  ): Promise<number | null> {
    if (needs) {
      const sentinel = needsSentinel(ctx.job.workdir, foldFrame())
      const inside = orders.extract(workspaceArchiveOf(needs.content, sentinel), sentinel, stopper.abandon)
      void this.trace.time({run: ctx.runId, job: ctx.job.name}, needs.phase, inside).catch(() => undefined)
      if (!(await inside)) throw new OrcaError('infra', stopper.lost ?? 'stopped while copying inputs')
    }
    begin()
    const end = await orders.run(stepCommand(step.run, undefined, step.shell), env, ctx.job.workdir, marker, stopper.abandon)
    return end.exitCode
  }

  /** A step's exec with its needs fed in before it and (`collect`) its artifacts written after it (step-fold.ts); `begin` once it starts. */
  private async execFolded(container: Docker.Container, ctx: JobContext, exec: ExecOptions, needs: StepProgress['needs'], collect: string | undefined, begin: () => void): Promise<FoldResult> {
    const frame = foldFrame()
    const archive = needs === undefined ? undefined : workspaceArchiveOf(needs.content, needsSentinel(ctx.job.workdir, frame))
    let inside!: () => void
    const needsIn = new Promise<void>((resolve) => {
      inside = resolve
    })
    const onStarted = (): void => {
      inside()
      begin()
    }
    const running = execFoldedStep(this.docker, container, {...exec, frame, ...(archive ? {needs: archive} : {}), ...(collect === undefined ? {} : {collect}), onStarted})
    // Timed from the exec's creation to the step's start: the copy, inside the step's exec.
    if (needs) void this.trace.time({run: ctx.runId, job: ctx.job.name}, needs.phase, Promise.race([needsIn, running.then(() => undefined)])).catch(() => undefined)
    return running
  }

  /** Everything the job's workdir starts with, owned by `owner`: its inputs, its needs' artifacts, `.git`, its empty outputs file. */
  private workspace(ctx: JobContext | PrestartContext, owner: WorkspaceOwner): WorkspaceContent {
    return {
      job: ctx.job,
      projectDir: ctx.projectDir,
      files: ctx.inputFiles,
      artifacts: 'needArtifacts' in ctx ? ctx.needArtifacts : [],
      ...('blobs' in ctx ? {blobs: ctx.blobs} : {}),
      ...('gitDir' in ctx && ctx.gitDir !== undefined ? {gitDir: ctx.gitDir} : {}),
      ...(ctx.outputFile !== undefined ? {outputFile: ctx.outputFile} : {}),
      owner,
    }
  }

  /**
   * Collects files matching `globs` into `destDir`; a cancel or a lost engine (`until`) stops the copy
   * and leaves nothing behind.
   */
  private async collect(
    container: Docker.Container,
    ctx: JobContext,
    stopper: ContainerStopper,
    globs: string[],
    destDir: string,
    until: Promise<void>,
    tar?: ArchiveSource,
  ): Promise<JobOutcome['artifacts']> {
    const limits = {maxBytes: this.options.maxArtifactBytes, maxEntries: this.options.maxArtifactEntries}
    const stop = new AbortController()
    const abort = (): void => stop.abort()
    ctx.cancel.addEventListener('abort', abort, {once: true})
    if (ctx.cancel.aborted) abort()
    void until.then(abort)
    const collecting = collectArtifacts(container, ctx.job.workdir, globs, destDir, limits, {
      blobs: ctx.blobs,
      signal: stop.signal,
      rename: ctx.maskPath,
      onWarning: (warning) => ctx.emit({type: 'job.warning', warning}),
    }, tar)
    try {
      // A lost engine may never answer: stop waiting (the copy cleans up after itself and never lands).
      return await Promise.race([collecting, until.then(() => Promise.reject(new OrcaError('infra', stopper.lost ?? 'stopped while collecting artifacts')))])
    } catch (error) {
      if (stop.signal.aborted && stopper.lost === undefined) throw new OrcaError('cancelled', 'stopped while collecting artifacts')
      throw error
    } finally {
      ctx.cancel.removeEventListener('abort', abort)
      abort()
    }
  }

  /**
   * Collects from a job whose end is decided (failed or timed out: its container already stopped, which
   * the engine still copies from), or its reports: only a lost engine stops the copy, and a failure
   * is a warning, never a change to how the job ended.
   */
  private async collectAfterEnd(
    container: Docker.Container,
    ctx: JobContext,
    stopper: ContainerStopper,
    globs: string[],
    destDir: string,
    what: 'artifacts' | 'reports',
  ): Promise<JobOutcome['artifacts']> {
    try {
      return await this.collect(container, ctx, stopper, globs, destDir, stopper.gone)
    } catch (caught) {
      const message = caught instanceof OrcaError || caught instanceof UnsafeArchiveError ? caught.message : dockerMessage(caught)
      ctx.emit({type: 'job.warning', warning: {kind: 'collect-failed', message: `its ${what} could not be collected: ${message}`}})
      return []
    }
  }

  /** The outputs file the steps wrote; a file that cannot be read is a warning (its dependents get no values). */
  private async readOutputs(container: Docker.Container, ctx: JobContext, stopper: ContainerStopper): Promise<string | undefined> {
    try {
      return await Promise.race([
        readContainerFile(container, ctx.outputFile!, MAX_OUTPUTS_BYTES),
        stopper.gone.then(() => Promise.reject(new OrcaError('infra', stopper.lost ?? 'the engine was lost'))),
      ])
    } catch (caught) {
      const message = caught instanceof Error ? caught.message : String(caught)
      ctx.emit({type: 'job.warning', warning: {kind: 'outputs-unreadable', message: `its outputs could not be read: ${message}`}})
      return undefined
    }
  }

  private async ensureVolumes(volumes: Record<string, string>, project: ProjectIdentity): Promise<void> {
    for (const name of Object.keys(volumes)) {
      // Creating a volume that exists returns it unchanged, so concurrent jobs of a project share one.
      await withTimeout(
        this.docker.createVolume({Name: volumeName(project, name), Labels: {...projectLabels(project), [LABEL.volume]: name}}),
        `create volume ${name}`,
      )
    }
  }

  /** Applies the cleanup policy: remove, or keep (stopped, labelled `orca.kept=true`). */
  private async finish(
    container: Docker.Container | undefined,
    spec: Docker.ContainerCreateOptions | undefined,
    ctx: JobContext,
    status: RunOutcomeStatus,
    inBackground: boolean,
    keptUntil: string | undefined,
  ): Promise<{cleanup: JobOutcome['cleanup']; containerId?: string}> {
    if (!container || !spec) return {cleanup: 'none', containerId: container?.id}
    const where = {run: ctx.runId, job: ctx.job.name}
    try {
      if (!keepsContainer(ctx.cleanup, status)) {
        // The engine removes it once its process ends: a signal is all that is awaited, nothing is left to flush.
        if (spec.HostConfig?.AutoRemove === true) {
          await this.trace.time(where, 'remove', endContainer(container))
          return {cleanup: 'removed', containerId: container.id}
        }
        const removal = this.trace.time(where, 'remove', removeContainer(container))
        if (!inBackground) await removal
        else {
          // A removal that fails leaves the container to `orca clean --leaks`, as before; the run awaits it before it ends.
          const settled = removal.catch(() => undefined).finally(() => this.removals.delete(settled))
          this.removals.add(settled)
        }
        return {cleanup: 'removed', containerId: container.id}
      }
      const twin = await this.keep(container, spec, keptUntil)
      ctx.emit({type: 'job.container', containerId: twin, imageId: String(spec.Image)})
      return {cleanup: 'kept', containerId: twin}
    } catch (error) {
      // Left for `orca clean --leaks`: a cleanup failure does not change how the job ended, but it is told.
      cleanupFailed(ctx, `its container could not be ${keepsContainer(ctx.cleanup, status) ? 'kept' : 'removed'}`, error)
      return {cleanup: 'none', containerId: container.id}
    }
  }

  /** Removes the job's services, or keeps them when the job's container is kept. Never throws. */
  private async finishServices(services: JobServices | undefined, ctx: JobContext, status: RunOutcomeStatus, keptUntil: string | undefined): Promise<void> {
    // Left for `orca clean --leaks` when it fails: a cleanup failure does not change how the job ended, but it is told.
    const keeps = keepsContainer(ctx.cleanup, status)
    await services
      ?.finish(keeps ? async (container, spec) => this.keep(container, spec, keptUntil) : undefined)
      .catch((error: unknown) => cleanupFailed(ctx, `its services could not all be ${keeps ? 'kept' : 'removed'}`, error))
  }

  /**
   * Docker cannot change a container's labels, so keeping one means: stop it, commit its filesystem,
   * create a stopped twin from that image labelled `orca.kept=true`, remove the original.
   * Should orca die midway, the original is an ordinary leak and the twin (if created) is kept.
   */
  private async keep(container: Docker.Container, spec: Docker.ContainerCreateOptions, keptUntil: string | undefined): Promise<string> {
    const info = await withTimeout(container.inspect(), 'inspect container')
    if (info.State.Running) {
      const t = Math.ceil(this.options.graceMs / 1000)
      await withTimeout(container.stop({t}), 'stop container', this.options.graceMs + 15_000).catch((error: unknown) => {
        if ((error as {statusCode?: number}).statusCode !== 304) throw error
      })
    }
    const name = `${info.Name.replace(/^\//, '')}-kept`
    const image = (await withTimeout(
      container.commit({repo: KEPT_REPOSITORY, tag: name.toLowerCase().slice(0, 128), pause: false, comment: 'kept by orca'}),
      'commit container',
      120_000,
    )) as {Id: string}
    const twin = await withTimeout(
      this.docker.createContainer({...keptAlive(detached(spec)), name, Image: image.Id, Labels: {...spec.Labels, [LABEL.kept]: 'true', ...(keptUntil === undefined ? {} : {[LABEL.keepUntil]: keptUntil})}}),
      'create kept container',
    )
    await removeContainer(container)
    return twin.id
  }
}

/** A container the cleanup policy could not remove or keep: a `cleanup-failed` warning naming what is left and why. */
function cleanupFailed(ctx: JobContext, what: string, error: unknown): void {
  const cause = error instanceof Error ? error.message : String(error)
  ctx.emit({type: 'job.warning', warning: {kind: 'cleanup-failed', message: `${what} (${cause}); \`orca clean --leaks\` removes what is left`}})
}

/** A kept twin outlives its job's network (removed with the job): it goes on the default bridge instead. */
function detached(spec: Docker.ContainerCreateOptions): Docker.ContainerCreateOptions {
  if (spec.NetworkingConfig === undefined) return spec
  const {NetworkingConfig: _, ...rest} = spec
  return {...rest, HostConfig: {...spec.HostConfig, NetworkMode: 'bridge'}}
}

/** Where a job's steps are: the one running now (a failure outside it is that step's), and whether one failed. */
interface StepProgress {
  running?: number
  failed: boolean
  /** The job's timeout, paused while a shell holds the job. */
  timer: PausableTimer
  /** What the first step's exec takes in before it (step-fold.ts), traced as `phase`; undefined: copied in already. */
  needs?: {content: WorkspaceContent; phase: 'copy-in' | 'copy-needs'}
  /** What the last step's exec collects after it, should the job not have failed by then. */
  collect?: {index: number; source: string}
  /** The archive the last step's exec wrote, for the collection to read. */
  collected?: FoldedArchive
  /** The container's main process, when it runs the steps (attached-steps.ts). */
  orders?: AttachedShell
}

/** How the steps ended, before collection: what `artifacts.when` and reports are judged by. */
function endedAs(stopper: ContainerStopper, progress: StepProgress): RunOutcomeStatus {
  if (stopper.lost) return 'cancelled'
  return stopper.reason ?? (progress.failed ? 'failed' : 'succeeded')
}

/**
 * A step that "failed" because its container was stopped or removed under it is an infrastructure failure.
 * A step killed by a signal, or one the runtime could not start (126: an engine shutting down answers an
 * exec with "OCI runtime exec failed" while the container still shows as running), may be the first sign
 * of an engine going away: watch the container a moment longer.
 */
async function assertContainerAlive(container: Docker.Container, job: string, exitCode: number | null): Promise<void> {
  const checks = exitCode !== null && (exitCode > 128 || exitCode === 126) ? SIGNAL_DEATH_CHECKS : 1
  for (let check = 0; check < checks; check++) {
    if (check > 0) await sleep(400)
    const state = await withTimeout(container.inspect(), 'inspect container').then(
      (info) => (info.State.Running ? undefined : `stopped (${info.State.Status})`),
      (error: unknown) => (statusCode(error) === 404 ? 'removed' : `unreachable: ${dockerMessage(error)}`),
    )
    if (state) throw new OrcaError('infra', `the container of job "${job}" was ${state} outside orca`)
  }
}

/** Rejects (never resolves) once the job's container is being stopped or its engine is lost. */
function stopperEnd(stopper: ContainerStopper, message: string): Promise<never> {
  const end = stopper.abandon.then(() => {
    throw new OrcaError('infra', stopper.lost ?? message)
  })
  end.catch(() => undefined)
  return end
}

/** Rejects once `signal` aborts: the early container is no longer wanted. */
function abortedBy(signal: AbortSignal): Promise<never> {
  const aborted = new Promise<never>((_, reject) => {
    const fail = (): void => reject(new OrcaError('cancelled', 'not needed'))
    if (signal.aborted) fail()
    else signal.addEventListener('abort', fail, {once: true})
  })
  aborted.catch(() => undefined)
  return aborted
}

function describeFailure(caught: unknown, stopper: ContainerStopper): JobError {
  if (stopper.lost) return {kind: 'infra', message: stopper.lost}
  if (stopper.reason) {
    return {kind: stopper.reason === 'timed_out' ? 'timeout' : 'cancelled', message: stopper.message ?? ''}
  }
  if (caught instanceof UnsafeArchiveError) return {kind: 'artifact', message: caught.message}
  if (caught instanceof ServiceNotReadyError) return {kind: 'service', message: caught.message}
  const message = caught instanceof OrcaError ? caught.message : `Docker error: ${dockerMessage(caught)}`
  return {kind: 'infra', message}
}
