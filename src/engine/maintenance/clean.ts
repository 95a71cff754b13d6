import {existsSync} from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

import {clearCache, listEntries} from '../cache/maintenance.js'
import {CacheStore} from '../cache/store.js'
import {OrcaError} from '../errors.js'
import type {DockerExecutor} from '../executor/docker/docker-executor.js'
import type {ResourceScope} from '../executor/types.js'
import {inspectRuns} from '../history/abandon.js'
import {judgeOwner, runLiveness, systemProbe, type LivenessProbe} from '../history/liveness.js'
import {formatBytes} from '../history/format.js'
import {expiredRuns, removeRuns} from '../history/retention.js'
import {formatDuration} from '../duration.js'
import {listRunIds} from '../run/run-id.js'
import {containerOwners, listKept, listOrphanKeptImages, listVolumes, removeKeptContainer, removeKeptImage, removeVolume} from './docker-resources.js'

/** What `orca clean` should clean. */
export interface CleanSelection {
  leaks?: boolean
  kept?: boolean
  volumes?: boolean
  /** Remove finished runs started more than `olderThanMs` ago (0: every finished run). */
  runs?: {olderThanMs: number}
  cache?: boolean
}

export interface CleanDeps {
  runsDir: string
  cacheDir: string
  /** Whose Docker resources the leaks, kept and volumes tasks touch: this project's, or (explicitly) every project's. */
  scope: ResourceScope
  /** Connects to the engine; called only by tasks that need Docker. */
  docker: () => Promise<DockerExecutor>
  probe?: LivenessProbe
  now?: () => number
}

/** One thing removed (or that would be, in a dry run). `skipped` says why it was left. */
export interface CleanItem {
  kind: 'container' | 'network' | 'volume' | 'image' | 'run' | 'cache'
  name: string
  detail?: string
  skipped?: string
}

export type CleanTaskKey = 'leaks' | 'kept' | 'volumes' | 'runs' | 'cache'

/** One step of `orca clean`, runnable without the CLI; a list UI shows `title` and reports items as they go. */
export interface CleanTask {
  key: CleanTaskKey
  title: string
  run(options: {dryRun: boolean; onItem?: (item: CleanItem) => void}): Promise<CleanItem[]>
}

/**
 * The tasks for a selection, in a safe order. Only what orca labelled (`orca.managed=true`, and
 * `orca.project=<id>` unless the scope is every project) or wrote under runsDir / cacheDir is touched.
 * A leak belongs to a run that is not alive: for runs under runsDir the run's lock decides; for
 * others, the owner recorded on the container (see judgeOwner).
 */
export function cleanTasks(selection: CleanSelection, deps: CleanDeps): CleanTask[] {
  const probe = deps.probe ?? systemProbe()
  const now = deps.now ?? Date.now
  const tasks: CleanTask[] = []
  const {scope} = deps
  // With every project in scope, each item says whose it is.
  const whose = (projectDir: string | undefined): string | undefined =>
    'allProjects' in scope ? `project ${projectDir ?? 'unknown (made before projects were recorded)'}` : undefined
  let executor: Promise<DockerExecutor> | undefined
  const docker = async (): Promise<DockerExecutor> => (executor ??= deps.docker())

  if (selection.leaks) {
    tasks.push({
      key: 'leaks',
      title: 'Remove leaked containers (jobs and their services) and networks of runs that are no longer alive',
      async run({dryRun, onItem}) {
        const exec = await docker()
        const owners = await containerOwners(exec.docker, scope)
        const known = new Set(await listRunIds(deps.runsDir))
        const alive = new Map<string, boolean>()
        const isRunAlive = (runId: string): boolean => {
          let answer = alive.get(runId)
          if (answer === undefined) {
            const owner = owners.get(runId)
            answer = known.has(runId)
              ? runLiveness(deps.runsDir, runId, probe).alive
              : owner !== undefined && judgeOwner(owner, probe).alive
            alive.set(runId, answer)
          }
          return answer
        }
        const items: CleanItem[] = []
        for (const leak of await exec.findLeaks(isRunAlive, scope)) {
          if (!dryRun) await exec.removeLeak(leak)
          const run = leak.runId ? `run ${leak.runId}${leak.job ? `, job ${leak.job}` : ''}${leak.service ? `, service ${leak.service}` : ''}` : undefined
          report(items, onItem, {kind: leak.kind, name: leak.name, detail: details(run, whose(leak.projectDir))})
        }
        return items
      },
    })
  }

  if (selection.kept) {
    tasks.push({
      key: 'kept',
      title: 'Remove containers kept by cleanup policy',
      async run({dryRun, onItem}) {
        const exec = await docker()
        const items: CleanItem[] = []
        for (const kept of await listKept(exec.docker, scope)) {
          if (!dryRun) await removeKeptContainer(exec.docker, kept)
          const run = kept.runId ? `run ${kept.runId}, job ${kept.job ?? '?'}` : undefined
          report(items, onItem, {kind: 'container', name: kept.name, detail: details(run, whose(kept.projectDir))})
        }
        for (const image of await listOrphanKeptImages(exec.docker, scope)) {
          if (!dryRun) await removeKeptImage(exec.docker, image.id)
          report(items, onItem, {kind: 'image', name: image.name, detail: details('filesystem of a kept container', whose(image.projectDir))})
        }
        return items
      },
    })
  }

  if (selection.volumes) {
    tasks.push({
      key: 'volumes',
      title: 'Remove named volumes of jobs',
      async run({dryRun, onItem}) {
        const exec = await docker()
        const items: CleanItem[] = []
        for (const volume of await listVolumes(exec.docker, scope)) {
          const removed = dryRun || (await removeVolume(exec.docker, volume.name))
          const detail = details(volume.volume === undefined ? undefined : `volumes: ${volume.volume}`, whose(volume.projectDir))
          report(items, onItem, {kind: 'volume', name: volume.name, detail, ...(removed ? {} : {skipped: 'in use by a container'})})
        }
        return items
      },
    })
  }

  if (selection.runs) {
    const olderThanMs = selection.runs.olderThanMs
    tasks.push({
      key: 'runs',
      title: olderThanMs > 0 ? `Remove runs older than ${formatDuration(olderThanMs)}` : 'Remove finished runs',
      async run({dryRun, onItem}) {
        const records = await inspectRuns(deps.runsDir, probe)
        const ids = expiredRuns(records, {maxAgeMs: olderThanMs}, now())
        if (!dryRun) await removeRuns(deps.runsDir, ids)
        const items: CleanItem[] = []
        for (const id of ids) {
          const record = records.find((r) => r.id === id)
          report(items, onItem, {kind: 'run', name: id, detail: record?.status})
        }
        return items
      },
    })
  }

  if (selection.cache) {
    tasks.push({
      key: 'cache',
      title: 'Clear the cache',
      async run({dryRun, onItem}) {
        assertSafeToClear(deps.cacheDir)
        const store = new CacheStore(deps.cacheDir)
        const entries = listEntries(store)
        const bytes = entries.reduce((n, e) => n + e.size, 0)
        const present = existsSync(store.root)
        if (!dryRun) clearCache(store)
        const items: CleanItem[] = []
        if (present) {
          report(items, onItem, {kind: 'cache', name: deps.cacheDir, detail: `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, ${formatBytes(bytes)}`})
        }
        return items
      },
    })
  }
  return tasks
}

/** Runs every task in order (for callers without a list UI). */
export async function clean(selection: CleanSelection, deps: CleanDeps, options: {dryRun: boolean}): Promise<Partial<Record<CleanTaskKey, CleanItem[]>>> {
  const result: Partial<Record<CleanTaskKey, CleanItem[]>> = {}
  for (const task of cleanTasks(selection, deps)) result[task.key] = await task.run(options)
  return result
}

function details(...parts: Array<string | undefined>): string | undefined {
  const present = parts.filter((p) => p !== undefined)
  return present.length === 0 ? undefined : present.join('; ')
}

function report(items: CleanItem[], onItem: ((item: CleanItem) => void) | undefined, item: CleanItem): void {
  items.push(item)
  onItem?.(item)
}

/** A misconfigured cacheDir must never empty a home directory or the filesystem root. */
function assertSafeToClear(dir: string): void {
  const resolved = path.resolve(dir)
  if (resolved === path.parse(resolved).root || resolved === path.resolve(os.homedir())) {
    throw new OrcaError('config', `refusing to clear the cache directory ${resolved}`, {hint: 'set cacheDir to a directory of its own, e.g. .orca/cache'})
  }
}
