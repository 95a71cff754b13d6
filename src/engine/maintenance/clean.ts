import type {DockerExecutor} from '../executor/docker/docker-executor.js'
import type {ResourceScope} from '../executor/types.js'
import {systemProbe, type LivenessProbe} from '../history/liveness.js'
import {RESOURCE_KINDS, type CleanContext, type CleanItem, type CleanSelection, type CleanTaskKey} from './clean-kinds.js'

export type {CleanItem, CleanSelection, CleanTaskKey} from './clean-kinds.js'

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

/** One step of `orca clean`, runnable without the CLI; a list UI shows `title` and reports items as they go. */
export interface CleanTask {
  key: CleanTaskKey
  title: string
  run(options: {dryRun: boolean; onItem?: (item: CleanItem) => void}): Promise<CleanItem[]>
}

/**
 * The tasks for a selection, in a safe order, each running its kinds of resource from the table
 * (clean-kinds.ts). Only what orca labelled (`orca.managed=true`, and `orca.project=<id>` unless the
 * scope is every project) or wrote under runsDir / cacheDir is touched.
 */
export function cleanTasks(selection: CleanSelection, deps: CleanDeps): CleanTask[] {
  let executor: Promise<DockerExecutor> | undefined
  const context: CleanContext = {
    selection,
    runsDir: deps.runsDir,
    cacheDir: deps.cacheDir,
    scope: deps.scope,
    docker: async () => (executor ??= deps.docker()),
    probe: deps.probe ?? systemProbe(),
    now: deps.now ?? Date.now,
  }
  const keys = [...new Set(RESOURCE_KINDS.map((kind) => kind.task))].filter((key) => selection[key])
  return keys.map((key) => {
    const kinds = RESOURCE_KINDS.filter((kind) => kind.task === key)
    return {
      key,
      title: kinds[0]!.title(context),
      async run({dryRun, onItem}) {
        const items: CleanItem[] = []
        for (const kind of kinds) {
          await kind.sweep(context, dryRun, (item) => {
            items.push(item)
            onItem?.(item)
          })
        }
        return items
      },
    }
  })
}

/** Runs every task in order (for callers without a list UI). */
export async function clean(selection: CleanSelection, deps: CleanDeps, options: {dryRun: boolean}): Promise<Partial<Record<CleanTaskKey, CleanItem[]>>> {
  const result: Partial<Record<CleanTaskKey, CleanItem[]>> = {}
  for (const task of cleanTasks(selection, deps)) result[task.key] = await task.run(options)
  return result
}
