import {watch, readdirSync, statSync, type Dirent, type FSWatcher} from 'node:fs'
import * as path from 'node:path'

export interface ProjectWatcherOptions {
  /** Relative folders not watched (nor anything under them). */
  skipDirs: readonly string[]
  /** Quiet time after the last change before `onChange` hears of the batch. */
  debounceMs: number
  /** Relative, `/`-separated paths that changed (created, written, removed or renamed). */
  onChange: (paths: string[]) => void
}

/**
 * Watches a project's folders, one non-recursive watch per folder (so skipped folders cost nothing
 * and it works the same on every platform), following folders created later; batches changes until
 * `debounceMs` pass without one.
 */
export class ProjectWatcher {
  private readonly watchers = new Map<string, FSWatcher>()
  private pending = new Set<string>()
  private timer: NodeJS.Timeout | undefined
  private closed = false

  constructor(
    private readonly root: string,
    private readonly options: ProjectWatcherOptions,
  ) {
    this.watchTree('')
  }

  /** How many folders are watched. */
  get folders(): number {
    return this.watchers.size
  }

  close(): void {
    this.closed = true
    clearTimeout(this.timer)
    for (const watcher of this.watchers.values()) watcher.close()
    this.watchers.clear()
  }

  private skipped(rel: string): boolean {
    return this.options.skipDirs.some((dir) => rel === dir || rel.startsWith(`${dir}/`))
  }

  private watchTree(rel: string): void {
    if (this.closed || this.watchers.has(rel) || (rel !== '' && this.skipped(rel))) return
    const dir = path.join(this.root, rel)
    let watcher: FSWatcher
    try {
      watcher = watch(dir, {persistent: true}, (_event, name) => {
        if (name !== null) this.changed(rel === '' ? String(name) : `${rel}/${String(name)}`)
      })
    } catch {
      return // Gone before it could be watched, or not readable.
    }
    watcher.on('error', () => {
      watcher.close()
      this.watchers.delete(rel)
    })
    this.watchers.set(rel, watcher)
    let entries: Dirent[] = []
    try {
      entries = readdirSync(dir, {withFileTypes: true})
    } catch {
      // Removed meanwhile: its watcher reports or errors.
    }
    for (const entry of entries) if (entry.isDirectory()) this.watchTree(rel === '' ? entry.name : `${rel}/${entry.name}`)
  }

  private changed(rel: string): void {
    if (this.closed || this.skipped(rel)) return
    // A new folder is watched from now on, and what it already holds counts as changed.
    try {
      if (statSync(path.join(this.root, rel)).isDirectory()) {
        this.watchTree(rel)
        return
      }
    } catch {
      // Removed: a change all the same.
    }
    this.pending.add(rel)
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      const batch = [...this.pending]
      this.pending = new Set()
      if (batch.length > 0) this.options.onChange(batch)
    }, this.options.debounceMs)
  }
}
