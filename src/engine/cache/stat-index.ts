import {randomBytes} from 'node:crypto'
import {readFileSync} from 'node:fs'

import {replaceFile} from '../atomic-file.js'
import {INDEX_FORMAT} from '../index-format.js'

import type {Stats} from 'node:fs'

/**
 * On disk: `ORCASTAT`, INDEX_FORMAT and row count (u32 LE), a random 16-byte generation (new at every
 * write, so it names the file's exact content), then per row five float64s (size, mtimeMs,
 * ctimeMs, inode, mode: what git's index keeps to skip re-reading a file), then a 32-byte hash
 * per row, then a byte per row saying which (0: the content's SHA-256; 1: its git object id, 20 bytes
 * and 12 NULs, see hash-inputs.ts), then the paths, NUL-separated. Rows are sorted by path (as JavaScript compares strings,
 * like the project listing), so a lookup is a binary search, or one comparison when inputs are
 * looked up in order. Binary, because parsing a JSON index of 10k files (and collecting its
 * garbage) cost more than the lstat calls it saves.
 */
const MAGIC = 'ORCASTAT'
const GENERATION_BYTES = 16
const HEADER = 16 + GENERATION_BYTES
const NUMBERS = 5
const HASH_BYTES = 32
/** A git object id (SHA-1) is a row's first 20 bytes; as hex, 40 characters against a SHA-256's 64. */
const OID_BYTES = 20
const SHA256_KIND = 0
const GIT_KIND = 1

/** size, mtimeMs, ctimeMs, inode, mode, hash (hex: a SHA-256, or a git object id) of a row added in this run. */
type Row = [number, number, number, number, number, string]

/** A file whose timestamps are this close to the time it was hashed may change again unseen (coarse clocks). */
const RACY_MS = 2_000

/**
 * Remembers the content hash of each project file by its stat, so an unchanged file is never read
 * again. Like git's index: a row is trusted only if size, mtime, ctime, inode and mode all match.
 */
export class StatIndex {
  /** Loaded rows replaced or forgotten in this run. */
  private readonly dropped: Uint8Array
  /** Rows set in this run (they replace loaded ones). */
  private readonly added = new Map<string, Row>()
  /** The row of the last lookup: the next input, in sorted order, is usually the next row. */
  private last = -1
  private dirty = false
  private hex: string | undefined

  private constructor(
    readonly file: string | undefined,
    /** Of the file as loaded (hex); '' when nothing was loaded. */
    readonly generation = '',
    private readonly numbers: Float64Array = new Float64Array(0),
    private readonly hashes: Buffer = Buffer.alloc(0),
    private readonly kinds: Uint8Array = new Uint8Array(0),
    /** The loaded rows' paths, sorted. */
    private readonly paths: string[] = [],
  ) {
    this.dropped = new Uint8Array(paths.length)
  }

  /** Loads the index; a missing, damaged or older file is an empty index (it is only an optimisation). */
  static load(file: string | undefined): StatIndex {
    if (!file) return new StatIndex(file)
    try {
      const bytes = readFileSync(file)
      if (bytes.toString('latin1', 0, 8) !== MAGIC || bytes.readUInt32LE(8) !== INDEX_FORMAT) return new StatIndex(file)
      const count = bytes.readUInt32LE(12)
      const hashesAt = HEADER + count * NUMBERS * 8
      const kindsAt = hashesAt + count * HASH_BYTES
      const pathsAt = kindsAt + count
      if (bytes.length < pathsAt) return new StatIndex(file)
      const generation = bytes.toString('hex', 16, HEADER)
      // Copied out: a Float64Array needs an aligned offset, which a read buffer does not promise.
      const numbers = new Float64Array(count * NUMBERS)
      Buffer.from(numbers.buffer).set(bytes.subarray(HEADER, hashesAt))
      const paths = count === 0 ? [] : bytes.toString('utf8', pathsAt).split('\0')
      if (paths.length !== count) return new StatIndex(file)
      return new StatIndex(file, generation, numbers, bytes.subarray(hashesAt, kindsAt), bytes.subarray(kindsAt, pathsAt), paths)
    } catch {
      return new StatIndex(file)
    }
  }

  /** Whether the index has a row for `rel` at all (whatever its stat). */
  knows(rel: string): boolean {
    if (this.added.has(rel)) return true
    if (this.paths.length === 0) return false
    const row = this.rowOf(rel)
    return row !== -1 && this.dropped[row] === 0
  }

  /** The hash recorded for `rel` if the file still has the same stat: a SHA-256 (64 hex digits) or a git object id (40). */
  get(rel: string, stat: Stats): string | undefined {
    if (this.added.size > 0) {
      const added = this.added.get(rel)
      if (added) return sameStat(added, stat) ? added[5] : undefined
    }
    const row = this.rowOf(rel)
    if (row === -1 || this.dropped[row] === 1) return undefined
    const n = this.numbers
    const at = row * NUMBERS
    const same = n[at] === stat.size && n[at + 1] === stat.mtimeMs && n[at + 2] === stat.ctimeMs && n[at + 3] === stat.ino && n[at + 4] === stat.mode
    if (!same) return undefined
    // One hex string for the whole column, sliced per row: 10k toString calls cost more.
    this.hex ??= this.hashes.toString('hex')
    const from = row * HASH_BYTES * 2
    return this.hex.slice(from, from + (this.kinds[row] === GIT_KIND ? OID_BYTES : HASH_BYTES) * 2)
  }

  set(rel: string, stat: Stats, hash: string, now = Date.now()): void {
    this.dirty = true
    const row = this.rowOf(rel)
    if (row !== -1) this.dropped[row] = 1
    // Racily clean: a write in the same clock tick would keep this stat, so do not trust it next time.
    if (now - stat.mtimeMs < RACY_MS || now - stat.ctimeMs < RACY_MS) this.added.delete(rel)
    else this.added.set(rel, [stat.size, stat.mtimeMs, stat.ctimeMs, stat.ino, stat.mode, hash])
  }

  /**
   * Writes the index (temp file + rename) when it changed, keeping only rows of files in `existing`
   * (the project listing, sorted) when given. Rows of removed files are dropped only then: until
   * the index is written anyway, they cost a few bytes and never match anything (a path looked up
   * again is a new file, with a new ctime). Returns whether it wrote (a new generation).
   */
  save(existing?: readonly string[]): boolean {
    if (!this.dirty || !this.file) return false
    if (existing) this.forgetAllBut(existing)
    // Both sources are sorted: merge them, so the file is sorted too.
    // Rows are added in the listing's order, which is sorted: sorted again only when they are not.
    const keys = [...this.added.keys()]
    const added = isSorted(keys) ? keys : keys.sort()
    const count = this.paths.length - countOnes(this.dropped) + added.length
    const numbers = new Float64Array(count * NUMBERS)
    const hashes = Buffer.alloc(count * HASH_BYTES)
    const kinds = new Uint8Array(count)
    const paths: string[] = []
    let row = 0
    const fromLoaded = (): void => {
      const i = paths.push(this.paths[row]!) - 1
      numbers.set(this.numbers.subarray(row * NUMBERS, (row + 1) * NUMBERS), i * NUMBERS)
      this.hashes.copy(hashes, i * HASH_BYTES, row * HASH_BYTES, (row + 1) * HASH_BYTES)
      kinds[i] = this.kinds[row]!
    }
    for (const rel of added) {
      for (; row < this.paths.length && this.paths[row]! < rel; row++) if (this.dropped[row] === 0) fromLoaded()
      const values = this.added.get(rel)!
      const i = paths.push(rel) - 1
      for (let k = 0; k < NUMBERS; k++) numbers[i * NUMBERS + k] = values[k] as number
      hashes.write(values[5], i * HASH_BYTES, HASH_BYTES, 'hex')
      kinds[i] = values[5].length === OID_BYTES * 2 ? GIT_KIND : SHA256_KIND
    }
    for (; row < this.paths.length; row++) if (this.dropped[row] === 0) fromLoaded()
    const header = Buffer.alloc(HEADER)
    header.write(MAGIC, 0, 'latin1')
    header.writeUInt32LE(INDEX_FORMAT, 8)
    header.writeUInt32LE(count, 12)
    randomBytes(GENERATION_BYTES).copy(header, 16)
    replaceFile(this.file, Buffer.concat([header, Buffer.from(numbers.buffer), hashes, kinds, Buffer.from(paths.join('\0'))]), {createDir: true})
    this.dirty = false
    return true
  }

  /** Drops the rows of files not in `existing`: one pass over both sorted lists. */
  private forgetAllBut(existing: readonly string[]): void {
    if (!isSorted(existing)) return this.forgetAllBut([...existing].sort())
    let at = 0
    for (let row = 0; row < this.paths.length; row++) {
      const rel = this.paths[row]!
      while (at < existing.length && existing[at]! < rel) at++
      if (existing[at] !== rel) this.dropped[row] = 1
    }
    if (this.added.size === 0) return
    // A set, not a binary search per row: 10,000 added rows cost ≈ 13 ms of searching on a fresh runner.
    const listed = new Set(existing)
    for (const rel of this.added.keys()) if (!listed.has(rel)) this.added.delete(rel)
  }

  /** The loaded row of `rel`, or -1. */
  private rowOf(rel: string): number {
    const paths = this.paths
    const next = this.last + 1
    if (next < paths.length && paths[next] === rel) return (this.last = next)
    const row = indexOfSorted(paths, rel)
    if (row !== -1) this.last = row
    return row
  }
}

function sameStat(row: Row, stat: Stats): boolean {
  return row[0] === stat.size && row[1] === stat.mtimeMs && row[2] === stat.ctimeMs && row[3] === stat.ino && row[4] === stat.mode
}

function isSorted(list: readonly string[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i - 1]! > list[i]!) return false
  return true
}

/** Binary search; -1 when absent. */
function indexOfSorted(list: readonly string[], value: string): number {
  let low = 0
  let high = list.length - 1
  while (low <= high) {
    const mid = (low + high) >>> 1
    const at = list[mid]!
    if (at === value) return mid
    if (at < value) low = mid + 1
    else high = mid - 1
  }
  return -1
}

function countOnes(flags: Uint8Array): number {
  let n = 0
  for (const flag of flags) n += flag
  return n
}
