import {existsSync} from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

import {formatBytes} from '../bytes.js'
import {buildDigest, buildTag} from '../cache/build-context.js'
import {clearCache, listEntries} from '../cache/maintenance.js'
import {CacheStore} from '../cache/store.js'
import {formatDuration} from '../duration.js'
import {OrcaError} from '../errors.js'
import type {DockerExecutor} from '../executor/docker/docker-executor.js'
import {listExpiredKept} from '../executor/docker/kept.js'
import {sandboxesDirOf, SandboxRecords} from '../sandbox/record.js'
import {reconcileSandboxes, type ReconcileAction} from '../sandbox/reconcile.js'
import {applyReconcile, listSandboxContainers} from '../sandbox/service.js'
import {findHostLeaks, removeHostLeak, type HostWorkLeak} from '../executor/host/leaks.js'
import type {Leak, ResourceScope} from '../executor/types.js'
import {inspectRuns} from '../history/abandon.js'
import {judgeOwner, runLiveness, type LivenessProbe} from '../history/liveness.js'
import {expiredRuns, removeRuns} from '../history/retention.js'
import type {RunRecord} from '../records/record.js'
import {listRunIds} from '../records/run-id.js'
import {HOST_WORK as HOST_WORK_DIR} from '../records/store.js'
import {
  containerOwners,
  listBuiltImages,
  listKept,
  listOrphanKeptImages,
  listVolumes,
  removeKeptContainer,
  removeImage,
  removeKeptImage,
  removeVolume,
  type KeptContainer,
} from './docker-resources.js'

/** What `orca clean` should clean. */
export interface CleanSelection {
  leaks?: boolean
  kept?: boolean
  volumes?: boolean
  /** Remove finished runs started more than `olderThanMs` ago (0: every finished run). */
  runs?: {olderThanMs: number}
  cache?: boolean
  /** Images built from the project (`image: {build}`) that no cache entry or kept run uses. */
  images?: boolean
}

export type CleanTaskKey = keyof CleanSelection

/** One thing removed (or that would be, in a dry run). `skipped` says why it was left. */
export interface CleanItem {
  kind: 'container' | 'network' | 'volume' | 'image' | 'run' | 'cache' | 'folder' | 'sandbox'
  name: string
  detail?: string
  skipped?: string
}

/** What every kind works with: the project's folders, the scope of Docker resources, the engine (connected once, on first use). */
export interface CleanContext {
  selection: CleanSelection
  runsDir: string
  cacheDir: string
  scope: ResourceScope
  docker: () => Promise<DockerExecutor>
  probe: LivenessProbe
  now: () => number
}

/**
 * One kind of resource `orca clean` removes: what it lists (already decided: only what may go),
 * how it removes one (or why it must stay), and how an item reads. `task` is the flag that selects it;
 * a task's kinds run in the table's order.
 */
export interface ResourceKind<T> {
  task: CleanTaskKey
  title: (context: CleanContext) => string
  list: (context: CleanContext) => Promise<T[]>
  /** Removes one; returns why it was left when it must stay. */
  remove: (context: CleanContext, resource: T) => Promise<string | undefined>
  describe: (context: CleanContext, resource: T) => CleanItem
}

const LEAKS: ResourceKind<Leak> = {
  task: 'leaks',
  title: () => 'Remove leaked containers (jobs and their services) and networks of runs that are no longer alive',
  // Decides by liveness: a run under runsDir by its lock, any other by the owner recorded on its containers.
  async list(context) {
    const exec = await context.docker()
    const owners = await containerOwners(exec.docker, context.scope)
    const known = new Set(await listRunIds(context.runsDir))
    const alive = new Map<string, boolean>()
    const isRunAlive = (runId: string): boolean => {
      let answer = alive.get(runId)
      if (answer === undefined) {
        const owner = owners.get(runId)
        answer = known.has(runId)
          ? runLiveness(context.runsDir, runId, context.probe).alive
          : owner !== undefined && judgeOwner(owner, context.probe).alive
        alive.set(runId, answer)
      }
      return answer
    }
    return exec.findLeaks(isRunAlive, context.scope)
  },
  async remove(context, leak) {
    await (await context.docker()).removeLeak(leak)
    return undefined
  },
  describe: (context, leak) => {
    const run = leak.runId ? `run ${leak.runId}${leak.job ? `, job ${leak.job}` : ''}${leak.service ? `, service ${leak.service}` : ''}` : undefined
    return {kind: leak.kind, name: leak.name, detail: details(run, whose(context, leak.projectDir))}
  },
}

const HOST_WORK: ResourceKind<HostWorkLeak> = {
  task: 'leaks',
  title: () => 'Remove the folders (and what still runs there) of host jobs whose runs are no longer alive',
  // Decides by the marker orca writes first into each host job's folder, and by the run's lock; needs no Docker.
  list: async (context) => findHostLeaks(context.runsDir, HOST_WORK_DIR, await listRunIds(context.runsDir), (runId) => runLiveness(context.runsDir, runId, context.probe).alive),
  async remove(_context, leak) {
    removeHostLeak(leak)
    return undefined
  },
  describe: (_context, leak) => ({
    kind: 'folder',
    name: leak.dir,
    detail: details(`run ${leak.runId}, job ${leak.job}`, leak.groups.length > 0 ? `${leak.groups.length} process group${leak.groups.length === 1 ? '' : 's'} still running` : undefined),
  }),
}

const KEPT_CONTAINERS: ResourceKind<KeptContainer> = {
  task: 'kept',
  title: () => 'Remove containers kept by cleanup policy',
  // Decides by the label a kept container carries (orca.kept=true).
  list: async (context) => listKept((await context.docker()).docker, context.scope),
  async remove(context, kept) {
    await removeKeptContainer((await context.docker()).docker, kept)
    return undefined
  },
  describe: (context, kept) => {
    const run = kept.runId ? `run ${kept.runId}, job ${kept.job ?? '?'}` : undefined
    return {kind: 'container', name: kept.name, detail: details(run, whose(context, kept.projectDir))}
  },
}


const EXPIRED_KEPT: ResourceKind<KeptContainer> = {
  task: 'leaks',
  title: () => 'Remove kept containers whose keep_for has passed',
  // Decides by the expiry a kept container carries (orca.keep-until, from keep_for); one without stays.
  list: async (context) => listExpiredKept((await context.docker()).docker, context.scope, context.now()),
  remove: KEPT_CONTAINERS.remove,
  describe: (context, kept) => {
    const item = KEPT_CONTAINERS.describe(context, kept)
    return {...item, detail: details(item.detail, `kept until ${kept.keptUntil}`)}
  },
}

type SandboxAction = Exclude<ReconcileAction, {kind: 'adopt'}>

const SANDBOXES: ResourceKind<SandboxAction> = {
  task: 'leaks',
  title: () => 'Remove sandboxes whose time-to-live has passed, and sandbox containers no record claims',
  // Decides as orca serve's reaper does (reconcileSandboxes): by the records beside the runs and the containers' labels.
  async list(context) {
    const exec = await context.docker()
    const records = new SandboxRecords(sandboxesDirOf(context.runsDir))
    const actions = reconcileSandboxes(records.list(), await listSandboxContainers(exec.docker, context.scope), context.now())
    // A record left creating is the live server's business; so are other projects' sandboxes, whose records are theirs.
    return actions.filter((action): action is SandboxAction => action.kind !== 'adopt' && !(action.kind === 'orphan' && 'allProjects' in context.scope))
  },
  async remove(context, action) {
    await applyReconcile((await context.docker()).docker, new SandboxRecords(sandboxesDirOf(context.runsDir)), [action], context.now())
    return undefined
  },
  describe: (_context, action) => {
    if (action.kind === 'orphan') return {kind: 'sandbox', name: action.sandboxId, detail: 'a container no record claims'}
    const detail = action.kind === 'expire' ? `expired at ${action.record.expiresAt}` : action.kind === 'gone' ? action.reason : 'the record of an ended sandbox'
    return {kind: 'sandbox', name: action.record.id, detail}
  },
}

type KeptImage = Awaited<ReturnType<typeof listOrphanKeptImages>>[number]

const KEPT_IMAGES: ResourceKind<KeptImage> = {
  task: 'kept',
  title: KEPT_CONTAINERS.title,
  // Listed after the kept containers are gone: the images no container uses any more.
  list: async (context) => listOrphanKeptImages((await context.docker()).docker, context.scope),
  async remove(context, image) {
    await removeKeptImage((await context.docker()).docker, image.id)
    return undefined
  },
  describe: (context, image) => ({kind: 'image', name: image.name, detail: details('filesystem of a kept container', whose(context, image.projectDir))}),
}

type Volume = Awaited<ReturnType<typeof listVolumes>>[number]

const VOLUMES: ResourceKind<Volume> = {
  task: 'volumes',
  title: () => 'Remove named volumes of jobs',
  list: async (context) => listVolumes((await context.docker()).docker, context.scope),
  // The engine decides: a volume a container uses stays.
  remove: async (context, volume) => ((await removeVolume((await context.docker()).docker, volume.name)) ? undefined : 'in use by a container'),
  describe: (context, volume) => ({
    kind: 'volume',
    name: volume.name,
    detail: details(volume.volume === undefined ? undefined : `volumes: ${volume.volume}`, whose(context, volume.projectDir)),
  }),
}

const RUNS: ResourceKind<{id: string; status?: RunRecord['status']}> = {
  task: 'runs',
  title: ({selection}) => (selection.runs!.olderThanMs > 0 ? `Remove runs older than ${formatDuration(selection.runs!.olderThanMs)}` : 'Remove finished runs'),
  // Decides by the retention rule: finished (a live run is never touched) and started before the cut.
  async list(context) {
    const records = await inspectRuns(context.runsDir, context.probe)
    const ids = expiredRuns(records, {maxAgeMs: context.selection.runs!.olderThanMs}, context.now())
    return ids.map((id) => ({id, status: records.find((r) => r.id === id)?.status}))
  },
  async remove(context, run) {
    await removeRuns(context.runsDir, [run.id])
    return undefined
  },
  describe: (_context, run) => ({kind: 'run', name: run.id, detail: run.status}),
}

const CACHE: ResourceKind<{entries: number; bytes: number}> = {
  task: 'cache',
  title: () => 'Clear the cache',
  // The whole cache, or nothing when there is none; never a home directory or the root.
  async list(context) {
    assertSafeToClear(context.cacheDir)
    const store = new CacheStore(context.cacheDir)
    if (!existsSync(store.root)) return []
    const entries = listEntries(store)
    return [{entries: entries.length, bytes: entries.reduce((n, e) => n + e.size, 0)}]
  },
  async remove(context) {
    clearCache(new CacheStore(context.cacheDir))
    return undefined
  },
  describe: (context, cache) => ({kind: 'cache', name: context.cacheDir, detail: `${cache.entries} entr${cache.entries === 1 ? 'y' : 'ies'}, ${formatBytes(cache.bytes)}`}),
}

type BuiltImage = Awaited<ReturnType<typeof listBuiltImages>>[number]

const BUILT_IMAGES: ResourceKind<BuiltImage> = {
  task: 'images',
  title: () => 'Remove images built from the project that no cache entry or kept run uses',
  // Decides by use: an image a cache entry's build names (by its tag) or a kept run ran in (by its ID) stays.
  async list(context) {
    const images = await listBuiltImages((await context.docker()).docker, context.scope)
    if (images.length === 0) return []
    const needed = await neededBuiltImages(context)
    // Podman lists the tags with their registry (docker.io/orca-build/…).
    return images.filter((image) => !needed.ids.has(image.id) && !image.tags.some((tag) => needed.tags.has(tag)))
  },
  // The engine decides: an image a container uses stays.
  remove: async (context, image) => ((await removeImage((await context.docker()).docker, image.id)) ? undefined : 'in use by a container'),
  describe: (context, image) => ({kind: 'image', name: image.tags[0] ?? image.id, detail: details(image.build, whose(context, image.projectDir))}),
}

/** The tags of the builds this project's cache entries were keyed on, and the image IDs its kept runs ran in. */
async function neededBuiltImages(context: CleanContext): Promise<{tags: Set<string>; ids: Set<string>}> {
  const tags = new Set<string>()
  const ids = new Set<string>()
  const store = new CacheStore(context.cacheDir)
  if ('projectId' in context.scope && existsSync(store.root)) {
    for (const entry of listEntries(store)) {
      const manifest = store.readManifest(entry.key)
      if (manifest?.build) tags.add(buildTag(context.scope.projectId, {digest: buildDigest(manifest.build, manifest.platform, manifest.build.files)}))
    }
  }
  for (const record of await inspectRuns(context.runsDir, context.probe)) {
    for (const job of Object.values(record.jobs)) if (job.imageId) ids.add(job.imageId)
  }
  return {tags, ids}
}

/** A kind of resource as the task runner sees it: its rows of the table put to work. */
export interface CleanKind {
  task: CleanTaskKey
  title: (context: CleanContext) => string
  /** Lists the kind's resources and removes each (unless `dryRun`), reporting every one as it goes. */
  sweep: (context: CleanContext, dryRun: boolean, onItem: (item: CleanItem) => void) => Promise<void>
}

function cleanKind<T>(kind: ResourceKind<T>): CleanKind {
  return {
    task: kind.task,
    title: kind.title,
    async sweep(context, dryRun, onItem) {
      for (const resource of await kind.list(context)) {
        const left = dryRun ? undefined : await kind.remove(context, resource)
        onItem({...kind.describe(context, resource), ...(left === undefined ? {} : {skipped: left})})
      }
    },
  }
}

/** Every kind, in the order `orca clean` removes them. */
export const RESOURCE_KINDS: readonly CleanKind[] = [HOST_WORK, LEAKS, EXPIRED_KEPT, SANDBOXES, KEPT_CONTAINERS, KEPT_IMAGES, VOLUMES, RUNS, CACHE, BUILT_IMAGES].map((kind) => cleanKind(kind as ResourceKind<unknown>))

/** With every project in scope, each item says whose it is. */
function whose(context: CleanContext, projectDir: string | undefined): string | undefined {
  return 'allProjects' in context.scope ? `project ${projectDir ?? 'unknown (made before projects were recorded)'}` : undefined
}

function details(...parts: Array<string | undefined>): string | undefined {
  const present = parts.filter((p) => p !== undefined)
  return present.length === 0 ? undefined : present.join('; ')
}

/** A misconfigured cacheDir must never empty a home directory or the filesystem root. */
function assertSafeToClear(dir: string): void {
  const resolved = path.resolve(dir)
  if (resolved === path.parse(resolved).root || resolved === path.resolve(os.homedir())) {
    throw new OrcaError('config', `refusing to clear the cache directory ${resolved}`, {hint: 'set cacheDir to a directory of its own, e.g. .orca/cache'})
  }
}
