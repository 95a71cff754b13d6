import {orcaStateDirs} from '../engine/plan/project-files.js'
import type {PreparedRun} from '../engine/run/start-run.js'
import {relevantChanges, skippedDirs, type WatchedInputs} from '../engine/watch/relevant.js'
import {ProjectWatcher} from '../engine/watch/watcher.js'
import {exitCode} from '../engine/errors.js'
import {reportError} from './report-error.js'
import type {RunPipelineOptions} from './run-pipeline.js'

/** Changes closer together than this are one batch: an editor's save is often several writes. */
export const WATCH_DEBOUNCE_MS = 300

/** Paths named in the line that says why a run starts again; more are counted. */
const NAMED_CHANGES = 5

/**
 * `orca run --watch`: runs, then waits for a change to what the run depends on and runs again
 * through the same `runPipeline` (the cache skips unchanged jobs). A change during a run cancels it
 * and starts the next; Ctrl-C or SIGTERM ends the watch after the current run is cancelled cleanly.
 */
export async function watchRuns(options: RunPipelineOptions, runPipeline: (options: RunPipelineOptions) => Promise<number>): Promise<number> {
  let interrupted = false
  let inputs: WatchedInputs | undefined
  let watcher: ProjectWatcher | undefined
  let watchedSkips = ''
  let changed: string[] = []
  let restart = new AbortController()
  let wake: (() => void) | undefined
  const interrupt = (): void => {
    interrupted = true
    wake?.()
  }
  const onChange = (paths: string[]): void => {
    const relevant = inputs === undefined ? paths : relevantChanges(paths, inputs)
    if (relevant.length === 0) return
    changed = [...new Set([...changed, ...relevant])].sort()
    restart.abort()
    wake?.()
  }
  // Between runs the run's own signal handlers are gone: the watch's end here.
  const onSignal = (): void => interrupt()
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const rewatch = (prepared: PreparedRun): void => {
    void prepared.projectFiles().then((files) => {
      inputs = {
        jobs: [...prepared.plan.jobs.values()],
        orcaFiles: files.orcaFiles,
        stateDirs: orcaStateDirs(prepared.pipeline.projectDir, [prepared.config.runsDir, prepared.config.cacheDir]),
      }
      const skips = skippedDirs(inputs)
      // The folders skipped follow the inputs: a job that names node_modules/ has it watched.
      if (watcher === undefined || skips.join('\0') !== watchedSkips) {
        watcher?.close()
        watchedSkips = skips.join('\0')
        watcher = new ProjectWatcher(prepared.pipeline.projectDir, {skipDirs: skips, debounceMs: WATCH_DEBOUNCE_MS, onChange})
      }
    })
  }
  let code = 0
  try {
    for (;;) {
      restart = new AbortController()
      changed = []
      try {
        code = await runPipeline({...options, restart: restart.signal, onInterrupt: interrupt, onPrepared: rewatch})
      } catch (error) {
        // A mistake in jobs.yml or the configuration is shown, and fixing it runs again.
        code = await reportError(error)
        if (watcher === undefined) watcher = new ProjectWatcher(options.projectDir ?? options.cwd, {skipDirs: ['.git', 'node_modules', '.orca'], debounceMs: WATCH_DEBOUNCE_MS, onChange})
      }
      if (interrupted) break
      if (changed.length === 0) {
        options.stderr.write(`\norca: watching for changes (Ctrl-C to stop)\n`)
        await new Promise<void>((resolve) => {
          wake = resolve
        })
        wake = undefined
      }
      if (interrupted) break
      const named = changed.slice(0, NAMED_CHANGES).join(', ')
      const more = changed.length > NAMED_CHANGES ? ` and ${changed.length - NAMED_CHANGES} more` : ''
      options.stderr.write(`\norca: changed: ${named}${more}; running again\n`)
    }
    options.stderr.write('\norca: stopped watching\n')
  } finally {
    watcher?.close()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  return code === exitCode('cancelled') || interrupted ? exitCode('cancelled') : code
}
