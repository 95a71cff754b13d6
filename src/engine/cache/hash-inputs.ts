import {spawnSync} from 'node:child_process'
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
 * one of two hashes: in a git work tree `git`, the git blob id of its bytes (a committed file's taken
 * from git's index without reading it), else `sha256` (docs/caching.md, "Committed files").
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
  /** The git blob id (SHA-1, hex, as git computes it) of the file's bytes. */
  git: string
  sha256?: never
}

/** The hash an input's content is named by: a SHA-256 (64 hex digits) or a git object id (40). */
export function contentHash(input: HashedInput): string {
  return input.git ?? input.sha256
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
    /** In a git work tree: files are named by git blob ids, committed ones from this index where given (ProjectFiles.git). */
    private readonly committed?: CommittedFiles,
  ) {}

  /** The inputs that exist, sorted by path; a file removed since the project was indexed is left out. */
  hash(files: readonly string[]): HashedInput[] {
    this.prefix = statPrefix(this.projectDir)
    const memo = this.earlierResults()
    const found: Array<HashedInput | null> | undefined = memo ? undefined : []
    let out: HashedInput[] = []
    const pending: Pending[] = []
    let sorted = true
    for (const rel of files) {
      let hashed = memo?.get(rel)
      if (hashed === undefined) {
        hashed = this.hashOne(rel, pending)
        memo?.set(rel, hashed)
      }
      found?.push(hashed)
      if (!hashed) continue
      if (sorted && out.length > 0 && out[out.length - 1]!.path >= rel) sorted = false
      out.push(hashed)
    }
    if (pending.length > 0 && this.nameByGit(pending) < pending.length) {
      // Files gone since they were stat'ed are left out, as a file gone before would have been.
      const gone = new Set<HashedInput>(pending.filter((p) => p.input.git === '').map((p) => p.input))
      out = out.filter((input) => !gone.has(input))
      if (found) files.forEach((_, i) => gone.has(found[i]!) && (found[i] = null))
      for (const p of pending) if (gone.has(p.input)) memo?.set(p.input.path, null)
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
      // A file named from git's index has no stat remembered: the index is asked again, as then.
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

  private hashOne(rel: string, pending: Pending[]): HashedInput | null {
    this.index ??= StatIndex.load(this.indexFile)
    if (this.committed) return this.hashCommitted(rel, pending)
    // A file the index has no row for is read whatever its stat (every file, on a fresh runner).
    return this.index.knows(rel) ? this.hashStated(rel) : this.hashOpened(rel)
  }

  /**
   * In a git work tree every file is named by the git blob id of its bytes, whichever way it is found:
   * from git's index without reading it when its stat is the one git recorded (git decides a file
   * unchanged so, and so does turbo), from the stat index's row, or else by git itself (`pending`,
   * one `git hash-object` for them all: git's SHA-1 detects collision attacks, so orca never computes
   * such an id). A symlink (and a path holding a newline, which git reads paths one per line) is
   * named by its SHA-256 as outside git.
   */
  private hashCommitted(rel: string, pending: Pending[]): HashedInput | null {
    const stat = this.stat(rel)
    if (!stat || !(stat.isFile() || stat.isSymbolicLink())) return null
    if (stat.isSymbolicLink() || rel.includes('\n')) return this.hashStated(rel)
    const mode = modeString(stat.mode)
    if (this.gitIndex === undefined) this.gitIndex = this.committed!.index === undefined ? null : (GitIndex.read(this.committed!.index) ?? null)
    const oid = this.gitIndex?.cleanOid(this.committed!.prefix + rel, stat)
    if (oid !== undefined) return {git: oid, mode, path: rel}
    const known = this.index!.get(rel, stat)
    const input: GitHashed = {git: known !== undefined && known.length === 40 ? known : '', mode, path: rel}
    this.readStats.set(rel, signatureOf(stat))
    if (input.git === '') pending.push({input, stat})
    return input
  }

  /** Names the pending files by their git blob ids (`git hash-object`); returns how many it named (a file gone meanwhile is not). */
  private nameByGit(pending: Pending[]): number {
    let asked = pending
    for (let attempt = 0; ; attempt++) {
      const ids = gitBlobIds(asked.map((p) => path.join(this.projectDir, p.input.path)))
      if (ids !== undefined) {
        asked.forEach((p, i) => {
          p.input.git = ids[i]!
          this.index!.set(p.input.path, p.stat, p.input.git, this.now)
        })
        return asked.length
      }
      // git stops at a file it cannot read: ask again for those still there, once.
      const still = asked.filter((p) => this.stat(p.input.path)?.isFile())
      if (attempt > 0 || still.length === asked.length) throw new OrcaError('infra', `cannot hash input files with git hash-object in ${this.projectDir}`)
      asked = still
    }
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
      return {mode: modeString(stat.mode), path: rel, sha256: hash}
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
    return {mode: modeString(stat.mode), path: rel, sha256: hash}
  }

  private stat(rel: string): Stats | undefined {
    try {
      return lstatSync(this.prefix + rel, {throwIfNoEntry: false})
    } catch {
      return undefined
    }
  }
}

/** A file to be named by git, with the stat it was found with. */
interface Pending {
  input: GitHashed
  stat: Stats
}

/**
 * The git blob ids of `files` (absolute), their bytes as they are (no filters); undefined when git
 * refuses. Asked outside any repository, so the ids are SHA-1 whatever object format the project's
 * repository has, and no configuration of it applies.
 */
function gitBlobIds(files: string[]): string[] | undefined {
  const answer = spawnSync('git', ['hash-object', '--no-filters', '--stdin-paths'], {
    cwd: path.parse(files[0]!).root,
    input: `${files.join('\n')}\n`,
    env: {...process.env, LC_ALL: 'C', GIT_CEILING_DIRECTORIES: path.parse(files[0]!).root},
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'ignore'],
  })
  if (answer.status !== 0) return undefined
  const ids = answer.stdout.toString('latin1').split('\n', files.length)
  return ids.length === files.length && ids.every((id) => /^[0-9a-f]{40}$/.test(id)) ? ids : undefined
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
