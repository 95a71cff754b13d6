import {readFileSync} from 'node:fs'
import type {Stats} from 'node:fs'

import {replaceFile} from '../atomic-file.js'
import {INDEX_FORMAT} from '../index-format.js'

/** dir mtimeMs, ctimeMs, inode; the id of the ignore rules over it; its ignore files; kept files; kept subdirectories. */
type Row = [number, number, number, string, string[], string[], string[]]

export interface Listing {
  /** Names of the ignore files (.gitignore, .orcaignore) the directory holds. */
  ignoreFiles: string[]
  /** Names of the files and symlinks not ignored, sorted. */
  files: string[]
  /** Names of the subdirectories not ignored, sorted as the paths under them sort. */
  dirs: string[]
}

/** A directory changed this close to when it was listed may change again within the same timestamp. */
const RACY_MS = 2_000

/**
 * What each project directory held when it was last listed, after ignore rules. Adding, removing or
 * renaming an entry changes a directory's mtime, so while its stat and the rules over it are the
 * same, its listing is too; the files themselves are still stat-ed one by one (the stat index).
 */
export class ListingCache {
  private readonly rows: Map<string, Row>
  private readonly seen = new Set<string>()
  private dirty = false

  private constructor(
    private readonly file: string,
    rows: Map<string, Row>,
  ) {
    this.rows = rows
  }

  /** A missing or damaged file is an empty cache: it is only an optimisation. */
  static load(file: string): ListingCache {
    const rows = new Map<string, Row>()
    try {
      const data = JSON.parse(readFileSync(file, 'utf8')) as {format?: number; rows?: Record<string, Row>}
      if (data.format === INDEX_FORMAT && data.rows) for (const [dir, row] of Object.entries(data.rows)) rows.set(dir, row)
    } catch {
      // Absent or damaged: list again.
    }
    return new ListingCache(file, rows)
  }

  /** What `dir` held when last listed, if its stat is unchanged; usable only while `rulesId` is too. */
  get(dir: string, stat: Stats): (Listing & {rulesId: string}) | undefined {
    const row = this.rows.get(dir)
    if (!row || !sameStat(row, stat) || !Array.isArray(row[4]) || !Array.isArray(row[5]) || !Array.isArray(row[6])) return undefined
    this.seen.add(dir)
    return {rulesId: row[3], ignoreFiles: row[4], files: row[5], dirs: row[6]}
  }

  set(dir: string, stat: Stats, rulesId: string, listing: Listing, now = Date.now()): void {
    this.seen.add(dir)
    if (now - stat.mtimeMs < RACY_MS || now - stat.ctimeMs < RACY_MS) {
      if (this.rows.delete(dir)) this.dirty = true
      return
    }
    this.rows.set(dir, [stat.mtimeMs, stat.ctimeMs, stat.ino, rulesId, listing.ignoreFiles, listing.files, listing.dirs])
    this.dirty = true
  }

  /** Writes the cache when it changed, forgetting directories not seen in this listing. */
  save(): void {
    for (const dir of this.rows.keys()) {
      if (!this.seen.has(dir)) {
        this.rows.delete(dir)
        this.dirty = true
      }
    }
    if (!this.dirty) return
    try {
      replaceFile(this.file, JSON.stringify({format: INDEX_FORMAT, rows: Object.fromEntries(this.rows)}), {createDir: true})
      this.dirty = false
    } catch {
      // Read-only or full disk: list again next time.
    }
  }
}

function sameStat(row: Row, stat: Stats): boolean {
  return row[0] === stat.mtimeMs && row[1] === stat.ctimeMs && row[2] === stat.ino
}
