import {closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, readSync} from 'node:fs'
import {createHash} from 'node:crypto'
import * as path from 'node:path'

import type {Stats} from 'node:fs'

import {OrcaError} from '../errors.js'
import {sha256} from './format.js'
import type {CommittedFiles} from '../plan/committed-files.js'
import {GitIndex} from './git-index.js'
import {StatIndex} from './stat-index.js'

/**
 * One input file as it enters a job's key (it is the key manifest's entry as is: created with its
 * keys in canonical order, so thousands of them serialise without a copy). Its content is named by
 * one of two hashes: `git`, when the file's bytes are those of its entry in git's index (a committed
 * file, as a CI runner's checkout has them: taken from the index without reading the file), or
 * `sha256` (docs/caching.md, "Committed files").
 */
export type HashedInput = ContentHashed | GitHashed

interface InputBase {
  /** st_mode in octal: file type and permission bits, as the container gets them, e.g. `100644`, `120777`. */
  mode: string
  /** Relative, `/`-separated. */
  path: string
}

export interface ContentHashed extends InputBase {
  /** SHA-256 of the content (of `symlink:<target>` for a symlink). */
  sha256: string
  git?: never
}

export interface GitHashed extends InputBase {
  /** The git object id (SHA-1, hex) of the file's entry in git's index, whose bytes the file holds. */
  git: string
  sha256?: never
}

/** The hash an input's content is named by: a SHA-256 (64 hex digits) or a git object id (40). */
export function contentHash(input: HashedInput): string {
  return input.git ?? input.sha256
}

/** The input for `hash` as a stat index row holds it (40 hex digits: a git object id). */
function hashedAs(mode: string, rel: string, hash: string): HashedInput {
  return hash.length === 40 ? {git: hash, mode, path: rel} : {mode, path: rel, sha256: hash}
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
  /** git's index, read when the first file is hashed (null: none that can be used). */
  private gitIndex: GitIndex | null | undefined
  /** What turns a project-relative path into one to stat (see statPrefix). */
  private prefix = ''

  constructor(
    readonly projectDir: string,
    private readonly indexFile?: string,
    /** The clock a file is judged too fresh to index by (tests move it forward). */
    private readonly now?: number,
    /** In a git work tree whose committed files can be named by git's ids: where its index is. */
    private readonly committed?: CommittedFiles,
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
      const same =
        now !== undefined &&
        (before
          ? sameStat(before, now)
          : input.git !== undefined && this.gitIndex
            ? this.gitIndex.cleanOid(this.committed!.prefix + input.path, now) === input.git
            : this.index?.get(input.path, now) === contentHash(input))
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
    if (this.committed) return this.hashCommitted(rel)
    // A file the index has no row for is read whatever its stat (every file, on a fresh runner).
    return this.index.knows(rel) ? this.hashStated(rel) : this.hashOpened(rel)
  }

  /**
   * In a git work tree: a file whose stat is the one git's index recorded for it holds that entry's
   * bytes, and is named by its object id without being read (git decides a file unchanged so, and
   * so does turbo); any other file as outside git, but a file read whose bytes turn out to be its
   * entry's is named by the entry's id too, so a file's name depends on its content and git's index,
   * never on the way it was found.
   */
  private hashCommitted(rel: string): HashedInput | null {
    const stat = this.stat(rel)
    if (!stat || !(stat.isFile() || stat.isSymbolicLink())) return null
    if (this.gitIndex === undefined) this.gitIndex = GitIndex.read(this.committed!.index) ?? null
    const git = this.gitIndex
    const oid = git?.cleanOid(this.committed!.prefix + rel, stat)
    // Not remembered in readStats: changedSince asks git's index again, as here.
    if (oid !== undefined) return {git: oid, mode: modeString(stat.mode), path: rel}
    const entry = stat.isFile() ? git?.oid(this.committed!.prefix + rel) : undefined
    // A row is the file's name only where it would be found again by reading: a git id while it is
    // still its entry's; a SHA-256 while the file has no entry (a changed committed file is read
    // again, so that a row never outlives an index that now holds its bytes).
    const known = this.index!.get(rel, stat)
    if (known !== undefined && (entry === undefined ? known.length === 64 : known === entry)) return hashedAs(modeString(stat.mode), rel, known)
    let hash: string
    try {
      if (stat.isSymbolicLink()) hash = sha256(`symlink:${readlinkSync(path.join(this.projectDir, rel))}`)
      else {
        const read = readHashes(this.prefix + rel, stat.size, entry !== undefined)
        // Named by git's id only when the bytes are that entry's: compared with the id git computed
        // (with SHA-1 collision detection) when it stored them, never with one of orca's own.
        hash = read.blob !== undefined && read.blob === entry ? entry : read.sha256
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw new OrcaError('infra', `cannot read input file ${rel}: ${(error as Error).message}`, {cause: error})
    }
    this.index!.set(rel, stat, hash, this.now)
    this.readStats.set(rel, signatureOf(stat))
    return hashedAs(modeString(stat.mode), rel, hash)
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
    if (hash === undefined || hash.length !== 64) {
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

/** st_mode in octal, as inputs give it: a few distinct values, each turned into a string once. */
const MODES = new Map<number, string>()
function modeString(mode: number): string {
  let text = MODES.get(mode)
  if (text === undefined) MODES.set(mode, (text = mode.toString(8)))
  return text
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

/**
 * A file's SHA-256 and, when `blob`, its git blob id as git would compute it without collision
 * detection (SHA-1 of `blob <size>\0` and the bytes): only ever compared with an id git computed.
 */
function readHashes(file: string, size: number, blob: boolean): {sha256: string; blob?: string} {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    if (!blob) return {sha256: hashDescriptor(fd, size)}
    const digest = createHash('sha256')
    // A file that changed since its stat gets a header of another size: an id no entry has.
    const sha1 = createHash('sha1').update(`blob ${size}\0`)
    const buffer = size < SCRATCH.length ? SCRATCH : Buffer.allocUnsafe(CHUNK)
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) {
      digest.update(buffer.subarray(0, n))
      sha1.update(buffer.subarray(0, n))
    }
    return {sha256: digest.digest('hex'), blob: sha1.digest('hex')}
  } finally {
    closeSync(fd)
  }
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
