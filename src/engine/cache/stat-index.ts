import {readFileSync} from 'node:fs'

import {replaceFile} from '../atomic-file.js'

import type {Stats} from 'node:fs'

/** size, mtimeMs, ctimeMs, inode, mode, sha256: what git's index keeps to skip re-reading a file. */
type Row = [number, number, number, number, number, string]

/** A file whose timestamps are this close to the time it was hashed may change again unseen (coarse clocks). */
const RACY_MS = 2_000

/**
 * Remembers the content hash of each project file by its stat, so an unchanged file is never read
 * again. Like git's index: a row is trusted only if size, mtime, ctime, inode and mode all match.
 */
export class StatIndex {
  private readonly rows: Map<string, Row>
  private dirty = false

  private constructor(
    readonly file: string | undefined,
    rows: Map<string, Row>,
  ) {
    this.rows = rows
  }

  /** Loads the index; a missing or unreadable file is an empty index (it is only an optimisation). */
  static load(file: string | undefined): StatIndex {
    const rows = new Map<string, Row>()
    if (file) {
      try {
        const data = JSON.parse(readFileSync(file, 'utf8')) as {format?: number; rows?: Record<string, Row>}
        if (data.format === 1 && data.rows) for (const [p, row] of Object.entries(data.rows)) rows.set(p, row)
      } catch {
        // Absent or damaged: start over.
      }
    }
    return new StatIndex(file, rows)
  }

  /** The hash recorded for `rel` if the file still has the same stat. */
  get(rel: string, stat: Stats): string | undefined {
    const row = this.rows.get(rel)
    if (!row) return undefined
    const [size, mtimeMs, ctimeMs, ino, mode, hash] = row
    return size === stat.size && mtimeMs === stat.mtimeMs && ctimeMs === stat.ctimeMs && ino === stat.ino && mode === stat.mode
      ? hash
      : undefined
  }

  set(rel: string, stat: Stats, hash: string, now = Date.now()): void {
    // Racily clean: a write in the same clock tick would keep this stat, so do not trust it next time.
    if (now - stat.mtimeMs < RACY_MS || now - stat.ctimeMs < RACY_MS) {
      if (this.rows.delete(rel)) this.dirty = true
      return
    }
    this.rows.set(rel, [stat.size, stat.mtimeMs, stat.ctimeMs, stat.ino, stat.mode, hash])
    this.dirty = true
  }

  /** Writes the index (temp file + rename) when it changed, keeping only rows of files that still exist. */
  save(existing?: ReadonlySet<string>): void {
    if (existing) {
      for (const rel of this.rows.keys()) {
        if (!existing.has(rel)) {
          this.rows.delete(rel)
          this.dirty = true
        }
      }
    }
    if (!this.dirty || !this.file) return
    replaceFile(this.file, JSON.stringify({format: 1, rows: Object.fromEntries(this.rows)}), {createDir: true})
    this.dirty = false
  }
}
