import {closeSync, lstatSync, openSync, readFileSync, readlinkSync, readSync} from 'node:fs'
import {createHash} from 'node:crypto'
import * as path from 'node:path'

import type {Stats} from 'node:fs'

import {OrcaError} from '../errors.js'
import {StatIndex} from './stat-index.js'

/** One input file as it enters a job's key. */
export interface HashedInput {
  /** Relative, `/`-separated. */
  path: string
  /** st_mode: file type and permission bits, as the container gets them. */
  mode: number
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
  private readonly memo = new Map<string, HashedInput | null>()
  /** The stat of each file read to hash it; a file found in the stat index is checked against its row. */
  private readonly readStats = new Map<string, Stats>()
  private index: StatIndex | undefined
  /** What turns a project-relative path into one to stat (see statPrefix). */
  private prefix = ''

  constructor(
    readonly projectDir: string,
    private readonly indexFile?: string,
  ) {}

  /** The inputs that exist, sorted by path; a file removed since the project was indexed is left out. */
  hash(files: string[]): HashedInput[] {
    this.prefix = statPrefix(this.projectDir)
    const out: HashedInput[] = []
    for (const rel of files) {
      let hashed = this.memo.get(rel)
      if (hashed === undefined) {
        hashed = this.hashOne(rel)
        this.memo.set(rel, hashed)
      }
      if (hashed) out.push(hashed)
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
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

  /** Persists the stat index, forgetting files that are no longer in the project. */
  save(projectFiles?: string[]): void {
    this.index?.save(projectFiles ? new Set(projectFiles) : undefined)
  }

  private hashOne(rel: string): HashedInput | null {
    const stat = this.stat(rel)
    if (!stat || !(stat.isFile() || stat.isSymbolicLink())) return null
    this.index ??= StatIndex.load(this.indexFile)
    let hash = this.index.get(rel, stat)
    if (hash === undefined) {
      const abs = path.join(this.projectDir, rel)
      try {
        hash = stat.isSymbolicLink() ? sha256Text(`symlink:${readlinkSync(abs)}`) : hashFile(abs, stat.size)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw new OrcaError('infra', `cannot read input file ${rel}: ${(error as Error).message}`, {cause: error})
      }
      this.index.set(rel, stat, hash)
      this.readStats.set(rel, stat)
    }
    return {path: rel, mode: stat.mode, sha256: hash}
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

function sameStat(a: Stats, b: Stats): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino && a.mode === b.mode
}

function sha256Text(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** SHA-256 of a file's content. */
export function hashFile(file: string, size: number): string {
  const hash = createHash('sha256')
  if (size <= WHOLE_READ_MAX) return hash.update(readFileSync(file)).digest('hex')
  const fd = openSync(file, 'r')
  try {
    const buffer = Buffer.allocUnsafe(CHUNK)
    for (let n; (n = readSync(fd, buffer, 0, CHUNK, null)) > 0; ) hash.update(buffer.subarray(0, n))
  } finally {
    closeSync(fd)
  }
  return hash.digest('hex')
}
