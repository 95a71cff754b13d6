import {lstatSync, readFileSync} from 'node:fs'

import type {Stats} from 'node:fs'

/**
 * git's index (`.git/index`, formats 2, 3 and 4), read for what it says about each committed file:
 * its object id and the stat git saw when the file's bytes were that object. orca uses it to take a
 * clean committed file's identity without reading the file (docs/caching.md, "Committed files").
 * Only the entries a caller may trust are kept: stage 0 (merged), a regular file's mode, neither
 * assume-unchanged, skip-worktree nor intent-to-add. An index orca cannot read completely as
 * described (another format, a split index, a sparse index, a repository whose object ids are not
 * SHA-1) is no index: every file is then read and hashed, as outside git.
 */
export class GitIndex {
  /** The row of the last lookup: files are looked up in sorted order, so the next one is usually the next row. */
  private last = -1

  constructor(
    /** The index's bytes; an entry's stat and object id are read from them when asked. */
    private readonly bytes: Buffer,
    /** Usable entries' paths, in the index's order (sorted by bytes). */
    private readonly paths: string[],
    /** Where each usable entry starts in `bytes`. */
    private readonly offsets: Uint32Array,
    /** The index file's own mtime (s, ns): an entry changed in or after that tick is racily clean. */
    private readonly mtimeS: number,
    private readonly mtimeNs: number,
  ) {}

  /** Reads the index at `file`; undefined when it is missing or not one orca reads (see the class). */
  static read(file: string): GitIndex | undefined {
    try {
      const bytes = readFileSync(file)
      // A bigint stat, to the nanosecond, taken after the read: a later write only makes more entries look racy.
      const stat = lstatSync(file, {bigint: true, throwIfNoEntry: false})
      if (!stat) return undefined
      return parseGitIndex(bytes, Number(stat.mtimeNs / 1_000_000_000n), Number(stat.mtimeNs % 1_000_000_000n))
    } catch {
      return undefined
    }
  }

  /** The object id (hex) of `path`'s usable entry (relative to the top of the work tree), or undefined. */
  oid(path: string): string | undefined {
    const row = this.rowOf(path)
    if (row === -1) return undefined
    const at = this.offsets[row]! + ENTRY_STAT_BYTES
    return this.bytes.toString('hex', at, at + OID_BYTES)
  }

  /**
   * The object id of `path` when `stat` (an lstat of the file) is the stat git recorded for it and
   * the entry is not racily clean: the file's bytes are then that object's, as git itself decides
   * (ctime, mtime, inode, owner and size; not the device) without reading them. undefined otherwise.
   */
  cleanOid(path: string, stat: Stats): string | undefined {
    if (!stat.isFile()) return undefined
    const row = this.rowOf(path)
    if (row === -1) return undefined
    const b = this.bytes
    const at = this.offsets[row]!
    const mtimeS = b.readUInt32BE(at + 8)
    const mtimeNs = b.readUInt32BE(at + 12)
    // Node.js computes a Stats' milliseconds from (s, ns) so: the same expression gives the same double.
    if (mtimeS * 1000 + mtimeNs / 1e6 !== stat.mtimeMs) return undefined
    if (b.readUInt32BE(at) * 1000 + b.readUInt32BE(at + 4) / 1e6 !== stat.ctimeMs) return undefined
    if (b.readUInt32BE(at + 20) !== low32(stat.ino) || b.readUInt32BE(at + 36) !== low32(stat.size)) return undefined
    if (b.readUInt32BE(at + 28) !== low32(stat.uid) || b.readUInt32BE(at + 32) !== low32(stat.gid)) return undefined
    // Racily clean: changed in the tick the index was written, so a later write in that tick kept this stat.
    if (mtimeS > this.mtimeS || (mtimeS === this.mtimeS && mtimeNs >= this.mtimeNs)) return undefined
    return b.toString('hex', at + ENTRY_STAT_BYTES, at + ENTRY_STAT_BYTES + OID_BYTES)
  }

  private rowOf(path: string): number {
    const paths = this.paths
    const next = this.last + 1
    if (next < paths.length && paths[next] === path) return (this.last = next)
    // Binary search: git sorts by bytes, which is JavaScript's order for the paths nearly all projects
    // have; where the two differ the search may miss, and a missed file is read and hashed.
    let low = 0
    let high = paths.length - 1
    while (low <= high) {
      const mid = (low + high) >>> 1
      const at = paths[mid]!
      if (at === path) return (this.last = mid)
      if (at < path) low = mid + 1
      else high = mid - 1
    }
    return -1
  }
}

const OID_BYTES = 20
/** ctime, mtime (s, ns each), dev, ino, mode, uid, gid, size: ten 32-bit numbers. */
const ENTRY_STAT_BYTES = 40
const FLAG_ASSUME_VALID = 0x8000
const FLAG_EXTENDED = 0x4000
const FLAG_STAGE = 0x3000
const FLAG_NAME_LENGTH = 0x0fff
const EXTENDED_SKIP_WORKTREE = 0x4000
const EXTENDED_INTENT_TO_ADD = 0x2000
/** Extensions after which the entries are not the whole index: a split index, a sparse index. */
const UNSUPPORTED_EXTENSIONS = new Set(['link', 'sdir'])
const NOT_ASCII = /[\u0080-\u00ff]/
const REGULAR = 0o100644
const EXECUTABLE = 0o100755

function low32(n: number): number {
  return n % 0x1_0000_0000
}


/** Parses an index's bytes; undefined for anything but a complete, supported index. */
export function parseGitIndex(bytes: Buffer, mtimeS: number, mtimeNs: number): GitIndex | undefined {
  if (bytes.length < 12 + OID_BYTES || bytes.toString('latin1', 0, 4) !== 'DIRC') return undefined
  const version = bytes.readUInt32BE(4)
  if (version < 2 || version > 4) return undefined
  const count = bytes.readUInt32BE(8)
  const end = bytes.length - OID_BYTES
  const paths: string[] = []
  const offsets = new Uint32Array(count)
  // Paths are cut from one Latin-1 string of the whole file (one decode, not one per entry); a path
  // with bytes past ASCII is decoded as UTF-8 on its own.
  const text = bytes.toString('latin1')
  // Format 4 writes each path as the previous one less some bytes, then a suffix.
  let previous = Buffer.alloc(0)
  let at = 12
  for (let i = 0; i < count; i++) {
    const start = at
    if (at + ENTRY_STAT_BYTES + OID_BYTES + 2 > end) return undefined
    const mode = bytes.readUInt32BE(at + 24)
    const flags = bytes.readUInt16BE(at + ENTRY_STAT_BYTES + OID_BYTES)
    at += ENTRY_STAT_BYTES + OID_BYTES + 2
    let extended = 0
    if (flags & FLAG_EXTENDED) {
      if (version < 3) return undefined
      extended = bytes.readUInt16BE(at)
      at += 2
    }
    let path: string
    if (version === 4) {
      // The number of bytes to take off the previous path: a varint as git writes it.
      let c = bytes[at++]!
      let strip = c & 127
      while (c & 128) {
        if (at >= end) return undefined
        c = bytes[at++]!
        strip = ((strip + 1) << 7) | (c & 127)
      }
      const nul = bytes.indexOf(0, at)
      if (nul === -1 || nul >= end || strip > previous.length) return undefined
      previous = Buffer.concat([previous.subarray(0, previous.length - strip), bytes.subarray(at, nul)])
      path = previous.toString('utf8')
      at = nul + 1
    } else {
      const length = flags & FLAG_NAME_LENGTH
      const nul = length < FLAG_NAME_LENGTH ? at + length : bytes.indexOf(0, at)
      if (nul === -1 || nul >= end || bytes[nul] !== 0) return undefined
      path = text.slice(at, nul)
      if (NOT_ASCII.test(path)) path = bytes.toString('utf8', at, nul)
      // NUL-padded so the entry's length is a multiple of 8 (one to eight NULs).
      at = start + ((nul - start + 8) & ~7)
    }
    // A sparse index's folder entry: the entries are not every file.
    if ((mode & 0o170000) === 0o040000) return undefined
    const usable =
      (mode === REGULAR || mode === EXECUTABLE) &&
      (flags & (FLAG_STAGE | FLAG_ASSUME_VALID)) === 0 &&
      (extended & (EXTENDED_SKIP_WORKTREE | EXTENDED_INTENT_TO_ADD)) === 0
    // An unmerged path's entries (stages 1-3) follow each other: none of them is its file's identity.
    if (!usable) {
      if (paths[paths.length - 1] === path) paths.pop()
      continue
    }
    offsets[paths.length] = start
    paths.push(path)
  }
  // Extensions: a four-letter signature and a size each, up to the trailing checksum.
  while (at + 8 <= end) {
    if (UNSUPPORTED_EXTENSIONS.has(bytes.toString('latin1', at, at + 4))) return undefined
    at += 8 + bytes.readUInt32BE(at + 4)
  }
  if (at !== end) return undefined
  return new GitIndex(bytes, paths, offsets, mtimeS, mtimeNs)
}
