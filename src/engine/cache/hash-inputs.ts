import {closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, readSync} from 'node:fs'
import {createHash} from 'node:crypto'
import * as path from 'node:path'

import type {Stats} from 'node:fs'

import {OrcaError} from '../errors.js'
import {sha256} from './format.js'
import {StatIndex} from './stat-index.js'

/**
 * One input file as it enters a job's key (it is the key manifest's entry as is: created with its
 * keys in canonical order, so thousands of them serialise without a copy).
 */
export interface HashedInput {
  /** st_mode in octal: file type and permission bits, as the container gets them, e.g. `100644`, `120777`. */
  mode: string
  /** Relative, `/`-separated. */
  path: string
  /** SHA-256 of the content (of `symlink:<target>` for a symlink). */
  sha256: string
}

/** Files up to this size are read in one call; larger ones in chunks, so memory stays bounded. */
const WHOLE_READ_MAX = 16 * 1024 * 1024
const CHUNK = 1024 * 1024

/**
 * Hashes project files, each at most once per run; a file whose stat matches the stat index is not
 * read at all. Reads are synchronous: for many small files that is several times faster here than
 * awaiting each read (see docs/performance.md).
 */
export class InputHasher {
  /** What earlier calls found, by path (null: not a file); built when a second call needs it. */
  private memo: Map<string, HashedInput | null> | undefined
  /** Each earlier call's files and what was found for each, until the memo is built. */
  private readonly earlier: Array<{files: readonly string[]; found: Array<HashedInput | null>}> = []
  /**
   * What the stat of each file read to hash it said (size, mtime, ctime, inode, mode); a file found in
   * the stat index is checked against its row. Five numbers, not the Stats object: 10,000 of those
   * (with their Dates) kept alive to the end are what the garbage collector copies at every pass.
   */
  private readonly readStats = new Map<string, StatSignature>()
  private index: StatIndex | undefined
  /** What turns a project-relative path into one to stat (see statPrefix). */
  private prefix = ''

  constructor(
    readonly projectDir: string,
    private readonly indexFile?: string,
    /** The clock a file is judged too fresh to index by (tests move it forward). */
    private readonly now?: number,
  ) {}

  /** The inputs that exist, sorted by path; a file removed since the project was indexed is left out. */
  hash(files: readonly string[]): HashedInput[] {
    this.prefix = statPrefix(this.projectDir)
    const memo = this.earlierResults()
    const found: Array<HashedInput | null> | undefined = memo ? undefined : []
    const out: HashedInput[] = []
    let sorted = true
    for (const rel of files) {
      let hashed = memo?.get(rel)
      if (hashed === undefined) {
        hashed = this.hashOne(rel)
        memo?.set(rel, hashed)
      }
      found?.push(hashed)
      if (!hashed) continue
      if (sorted && out.length > 0 && out[out.length - 1]!.path >= rel) sorted = false
      out.push(hashed)
    }
    if (found) this.earlier.push({files, found})
    // Inputs come from the sorted project listing: sorting again is only for other callers.
    return sorted ? out : out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  }

  /**
   * Every file is hashed at most once per run; the first call (often the only one, and often over
   * the most files) needs no lookups, so the map of its results is built only when a second call comes.
   */
  private earlierResults(): Map<string, HashedInput | null> | undefined {
    if (this.memo || this.earlier.length === 0) return this.memo
    this.memo = new Map()
    for (const {files, found} of this.earlier.splice(0)) files.forEach((rel, i) => this.memo!.set(rel, found[i]!))
    return this.memo
  }

  /** Paths among `inputs` whose stat is no longer what was hashed (edited, replaced or removed). */
  changedSince(inputs: HashedInput[]): string[] {
    this.prefix = statPrefix(this.projectDir)
    const changed: string[] = []
    for (const input of inputs) {
      const now = this.stat(input.path)
      const before = this.readStats.get(input.path)
      const same = now !== undefined && (before ? sameStat(before, now) : this.index?.get(input.path, now) === input.sha256)
      if (!same) changed.push(input.path)
    }
    return changed
  }

  /** Persists the stat index, forgetting files that are no longer in the project (its sorted listing). Returns whether it wrote. */
  save(projectFiles?: readonly string[]): boolean {
    return this.index?.save(projectFiles) ?? false
  }

  private hashOne(rel: string): HashedInput | null {
    this.index ??= StatIndex.load(this.indexFile)
    // A file the index has no row for is read whatever its stat (every file, on a fresh runner).
    return this.index.knows(rel) ? this.hashStated(rel) : this.hashOpened(rel)
  }

  /**
   * The file opened first and stat'ed through its descriptor: one system call and one Stats object
   * fewer than `hashStated`'s lstat then read, with the same result (docs/performance.md, "Hashing on
   * a fresh runner"). Never follows a symlink (O_NOFOLLOW) nor waits on a FIFO (O_NONBLOCK); what
   * cannot be opened so (a symlink, a file it may not read) goes the plain way, which decides it.
   */
  private hashOpened(rel: string): HashedInput | null {
    let fd: number
    try {
      fd = openSync(this.prefix + rel, OPEN_FLAGS)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      return code === 'ENOENT' || code === 'ENOTDIR' ? null : this.hashStated(rel)
    }
    try {
      const stat = fstatSync(fd)
      // A folder, a FIFO, a device: not an input file, as lstat would have said.
      if (!stat.isFile()) return null
      const hash = hashDescriptor(fd, stat.size)
      this.index!.set(rel, stat, hash, this.now)
      this.readStats.set(rel, signatureOf(stat))
      return {mode: stat.mode.toString(8), path: rel, sha256: hash}
    } catch (error) {
      throw new OrcaError('infra', `cannot read input file ${rel}: ${(error as Error).message}`, {cause: error})
    } finally {
      closeSync(fd)
    }
  }

  /** The plain way: lstat, then the stat index, then the content (or the link's target) read. */
  private hashStated(rel: string): HashedInput | null {
    const stat = this.stat(rel)
    if (!stat || !(stat.isFile() || stat.isSymbolicLink())) return null
    let hash = this.index!.get(rel, stat)
    if (hash === undefined) {
      const abs = path.join(this.projectDir, rel)
      try {
        hash = stat.isSymbolicLink() ? sha256(`symlink:${readlinkSync(abs)}`) : hashFile(abs, stat.size)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw new OrcaError('infra', `cannot read input file ${rel}: ${(error as Error).message}`, {cause: error})
      }
      this.index!.set(rel, stat, hash, this.now)
      this.readStats.set(rel, signatureOf(stat))
    }
    return {mode: stat.mode.toString(8), path: rel, sha256: hash}
  }

  private stat(rel: string): Stats | undefined {
    try {
      return lstatSync(this.prefix + rel, {throwIfNoEntry: false})
    } catch {
      return undefined
    }
  }
}

/**
 * Paths from the project's own listing are relative and `/`-separated (no `..`): joining by hand is
 * enough, and from the project directory itself (the usual case) the kernel walks the shorter path.
 */
function statPrefix(projectDir: string): string {
  return process.cwd() === projectDir ? '' : `${projectDir}/`
}

/** A stat as the stat index compares it: size, mtime, ctime, inode, mode. */
type StatSignature = readonly [number, number, number, number, number]

function signatureOf(stat: Stats): StatSignature {
  return [stat.size, stat.mtimeMs, stat.ctimeMs, stat.ino, stat.mode]
}

function sameStat(a: StatSignature, b: Stats): boolean {
  return a[0] === b.size && a[1] === b.mtimeMs && a[2] === b.ctimeMs && a[3] === b.ino && a[4] === b.mode
}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK

/** Read into for the small files most inputs are: hashing copies what it is given, so one buffer serves every file. */
const SCRATCH = Buffer.allocUnsafe(64 * 1024)

/**
 * SHA-256 of an open file's content, as `hashFile` reads it: up to WHOLE_READ_MAX, the `size` bytes
 * its stat gave (as readFileSync reads them); beyond, in chunks to the end.
 */
function hashDescriptor(fd: number, size: number): string {
  if (size <= WHOLE_READ_MAX) {
    const buffer = size <= SCRATCH.length ? SCRATCH : Buffer.allocUnsafe(size)
    let read = 0
    for (let n; read < size && (n = readSync(fd, buffer, read, size - read, null)) > 0; ) read += n
    return sha256(buffer.subarray(0, read))
  }
  const hash = createHash('sha256')
  const buffer = Buffer.allocUnsafe(CHUNK)
  for (let n; (n = readSync(fd, buffer, 0, CHUNK, null)) > 0; ) hash.update(buffer.subarray(0, n))
  return hash.digest('hex')
}

/** SHA-256 of a file's content. */
export function hashFile(file: string, size: number): string {
  if (size <= WHOLE_READ_MAX) return sha256(readFileSync(file))
  const fd = openSync(file, 'r')
  try {
    return hashDescriptor(fd, size)
  } finally {
    closeSync(fd)
  }
}
