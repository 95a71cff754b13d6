import {createHash, randomBytes, type Hash} from 'node:crypto'
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  unlinkSync,
  utimesSync,
} from 'node:fs'
import * as path from 'node:path'

import {replaceFile, writeAll} from '../atomic-file.js'
import {sha256Hex} from '../digest.js'

/** Content named by its digest. */
export interface BlobRef {
  sha256: string
  size: number
}

/** A blob is missing, is not a plain file, or its bytes do not hash to its name. */
export class DamagedBlobError extends Error {
  override name = 'DamagedBlobError'
}

/** One folder of the store is a link or not a folder: the store refuses to read or write through it. */
export class UnsafeStoreError extends Error {
  override name = 'UnsafeStoreError'
}

const CHUNK = 1024 * 1024
/** One buffer for every synchronous copy: a fresh 1 MiB per (usually tiny) file adds up. */
let shared: Buffer | undefined
const SHA256 = /^[0-9a-f]{64}$/
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW
/** Created, never opened through an existing file or link. */
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW
/** A local pack's first line: its magic and the length of the member list that follows, fixed width. */
const PACK_MAGIC = 'orca-local-pack 1 '
const PACK_FIRST_LINE = PACK_MAGIC.length + 13

/** Where a blob kept in a local pack is: the pack's file and the blob's offset in it. */
interface PackedBlob {
  file: string
  offset: number
  size: number
}

/**
 * Files stored once by their SHA-256 under `<dir>/<ab>/<sha256>`, read-only. Executable content is a
 * second name, `<sha256>-x` (mode 0555), so a hard link to a blob carries the mode a job gave its file.
 * Blobs are written to a temp file in the same filesystem and renamed into place; an existing blob
 * under the name is kept when it still holds those bytes (run directories may share it through hard links). Nothing is ever read or
 * written through a link: the store's folders are checked once per store (one run), files opened O_NOFOLLOW.
 */
export class BlobStore {
  private readonly checked = new Set<string>()
  /** Blobs this store wrote or hashed (a store serves one run): not read again to be trusted within it. */
  private readonly known = new Set<string>()
  /** Set once a hard link failed for want of support (another filesystem): copies from then on. */
  private copies = false
  /** Blobs held in local packs, by digest; read from `packsDir` when first needed. */
  private packed?: Map<string, PackedBlob>

  constructor(
    readonly dir: string,
    readonly tmpDir: string,
    /** Local packs (`putPack`): many small blobs in one file; none when undefined. */
    readonly packsDir?: string,
  ) {}

  /** Where a blob lives (whether or not it exists). */
  path(sha256: string, executable = false): string {
    if (!SHA256.test(sha256)) throw new DamagedBlobError(`not a digest: ${JSON.stringify(sha256)}`)
    return path.join(this.dir, sha256.slice(0, 2), executable ? `${sha256}-x` : sha256)
  }

  /** Whether the store holds a blob (written or checked by this store, a file of its size on disk, or a member of a local pack). */
  has(ref: BlobRef, executable = false): boolean {
    const file = this.path(ref.sha256, executable)
    if (this.known.has(file)) return true
    const stat = lstatOrUndefined(file)
    return (stat?.isFile() === true && stat.size === ref.size) || this.packedAt(ref) !== undefined
  }

  /**
   * Stores many blobs as one file, a local pack (`<packsDir>/<digest of its list>`: a list of
   * members, then their bytes): one file created where blobs of their own would be one each. Every member is checked
   * against its digest first. A member becomes a blob of its own, checked again, when it is first
   * opened (`open`, `pathFor`), so every reader sees plain blobs; `read` and `linkTo` take it from the
   * pack (a read-only copy where a blob would be linked).
   */
  putPack(members: ReadonlyArray<{ref: BlobRef; bytes: Uint8Array}>): void {
    if (this.packsDir === undefined) throw new Error('this store keeps no packs')
    for (const {ref, bytes} of members) {
      if (bytes.length !== ref.size || sha256Hex(bytes) !== ref.sha256) throw new DamagedBlobError(`blob ${ref.sha256} does not match its digest`)
    }
    const list = Buffer.from(members.map(({ref}) => `${ref.sha256} ${ref.size}\n`).join(''))
    const first = Buffer.from(`${PACK_MAGIC}${String(list.length).padStart(12, '0')}\n`)
    // Named by its member list: the same members are the same file, whichever entry brought them.
    const id = createHash('sha256').update(list).digest('hex')
    const file = path.join(this.packsDir, id)
    this.realDir(path.dirname(file), true)
    this.realDir(this.tmpDir, true)
    // One write: the list and every member's bytes, gathered (a pack is at most tens of MB of small files).
    // Same id, same members, same bytes: replacing one already there changes nothing a reader could see.
    replaceFile(file, Buffer.concat([first, list, ...members.map((m) => m.bytes)]), {mode: 0o444, tempDir: this.tmpDir})
    const index = this.packIndex()
    let offset = first.length + list.length
    for (const {ref} of members) {
      if (!index.has(ref.sha256)) index.set(ref.sha256, {file, offset, size: ref.size})
      offset += ref.size
    }
  }

  /** Every local pack on disk with its members (for garbage collection); a damaged one is listed with none. */
  packFiles(): Array<{file: string; members: BlobRef[]}> {
    const out: Array<{file: string; members: BlobRef[]}> = []
    if (this.packsDir === undefined) return out
    for (const name of readdirOrEmpty(this.packsDir)) {
      if (!SHA256.test(name)) continue
      const file = path.join(this.packsDir, name)
      out.push({file, members: readPackList(file)?.members ?? []})
    }
    return out
  }

  /**
   * The blob's file, taken out of a local pack first when that is the only place that holds it (for
   * readers that open the file themselves). The file is not checked here.
   */
  pathFor(ref: BlobRef, executable = false): string {
    const file = this.path(ref.sha256, executable)
    const stat = lstatOrUndefined(file)
    if (!(stat?.isFile() && stat.size === ref.size)) this.unpack(ref, executable)
    return file
  }

  /** Starts a blob written chunk by chunk; `commit()` names it by the digest of what was written. */
  create(executable = false): BlobWriter {
    this.realDir(this.tmpDir, true)
    return new BlobWriter(this, path.join(this.tmpDir, `blob-${process.pid}-${randomBytes(6).toString('hex')}`), executable)
  }

  /** Stores bytes held in memory; nothing is written when the store already holds them (checked, not assumed). */
  putBytes(bytes: Uint8Array, executable = false): BlobRef {
    const ref = {sha256: sha256Hex(bytes), size: bytes.length}
    if (this.reuse(ref, executable)) return ref
    const writer = this.create(executable)
    try {
      writer.write(bytes)
      return writer.commit()
    } catch (error) {
      writer.abort()
      throw error
    }
  }

  /** Opens a blob for reading; DamagedBlobError when it is missing, a link, or not of its recorded size. */
  open(ref: BlobRef, executable = false, unpacked = false): number {
    const file = this.path(ref.sha256, executable)
    this.realDir(path.dirname(file), false)
    let fd: number
    try {
      fd = openSync(file, READ_FLAGS)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      // Once: a blob taken out of a pack and gone again at once (a prune) is missing.
      if (code === 'ENOENT' && !unpacked && this.unpack(ref, executable)) return this.open(ref, executable, true)
      throw new DamagedBlobError(code === 'ENOENT' ? `blob ${ref.sha256} is missing` : `blob ${ref.sha256} cannot be opened (${code})`)
    }
    const stat = fstatSync(fd)
    if (!stat.isFile() || stat.size !== ref.size) {
      closeSync(fd)
      throw new DamagedBlobError(`blob ${ref.sha256} is not a file of ${ref.size} bytes`)
    }
    return fd
  }

  /** Where a local pack holds the blob, if one does. */
  private packedAt(ref: BlobRef): PackedBlob | undefined {
    const at = this.packIndex().get(ref.sha256)
    return at?.size === ref.size ? at : undefined
  }

  /** The digests every local pack holds, read once per store (a pack written later by it is added by `putPack`). */
  private packIndex(): Map<string, PackedBlob> {
    if (this.packed !== undefined) return this.packed
    const index = new Map<string, PackedBlob>()
    const dir = this.packsDir!
    try {
      this.realDir(dir, false)
    } catch {
      // Never read through a folder swapped for a link.
      this.packed = index
      return index
    }
    for (const name of readdirOrEmpty(dir)) {
      if (!SHA256.test(name)) continue
      const file = path.join(dir, name)
      const read = readPackList(file)
      if (read === undefined) continue
      let offset = read.dataStart
      for (const member of read.members) {
        if (!index.has(member.sha256)) index.set(member.sha256, {file, offset, size: member.size})
        offset += member.size
      }
    }
    this.packed = index
    return index
  }

  /**
   * Writes a blob a local pack holds as a blob of its own, checked against its digest (a pack changed
   * on disk gives DamagedBlobError); false when no pack holds it.
   */
  private unpack(ref: BlobRef, executable: boolean): boolean {
    const at = this.packedAt(ref)
    if (at === undefined) return false
    const bytes = this.readPacked(ref, at)
    const writer = this.create(executable)
    try {
      writer.write(bytes)
      writer.commit(ref)
    } catch (error) {
      writer.abort()
      throw error
    }
    return true
  }

  /** Writes a packed member to `target` (created, never opened through a link) once checked against its digest, read-only as a linked blob is; false when no pack holds it. */
  private copyPacked(ref: BlobRef, target: string, mode: number): boolean {
    const at = this.packedAt(ref)
    if (at === undefined) return false
    const bytes = this.readPacked(ref, at)
    if (sha256Hex(bytes) !== ref.sha256) throw new DamagedBlobError(`blob ${ref.sha256} does not match its digest`)
    const output = openSync(target, CREATE_FLAGS, mode)
    try {
      writeAll(output, bytes)
      // The umask applies at creation.
      fchmodSync(output, mode)
    } finally {
      closeSync(output)
    }
    return true
  }

  /** A member's bytes as its pack holds them (unchecked: callers check them against the digest). */
  private readPacked(ref: BlobRef, at: PackedBlob): Buffer {
    this.realDir(path.dirname(at.file), false)
    let fd: number
    try {
      fd = openSync(at.file, READ_FLAGS)
    } catch (error) {
      throw new DamagedBlobError(`the pack holding blob ${ref.sha256} cannot be opened (${(error as NodeJS.ErrnoException).code})`)
    }
    let bytes: Buffer
    try {
      if (!fstatSync(fd).isFile()) throw new DamagedBlobError(`the pack holding blob ${ref.sha256} is not a file`)
      bytes = Buffer.allocUnsafe(ref.size)
      for (let done = 0; done < ref.size; ) {
        const n = readSync(fd, bytes, done, ref.size - done, at.offset + done)
        if (n === 0) throw new DamagedBlobError(`the pack holding blob ${ref.sha256} is shorter than recorded`)
        done += n
      }
    } finally {
      closeSync(fd)
    }
    return bytes
  }

  /** A whole blob, checked against its digest. */
  readVerified(ref: BlobRef, executable = false): Buffer {
    const bytes = this.read(ref, executable)
    if (sha256Hex(bytes) !== ref.sha256) throw new DamagedBlobError(`blob ${ref.sha256} does not match its digest`)
    this.known.add(this.path(ref.sha256, executable))
    return bytes
  }

  /** A whole blob as stored (for callers that checked it, see `verify`). */
  read(ref: BlobRef, executable = false): Buffer {
    // Only in a local pack: read from it, not written out as a blob first (nothing will link it).
    const at = this.packedAt(ref)
    if (at !== undefined && lstatOrUndefined(this.path(ref.sha256, executable)) === undefined) return this.readPacked(ref, at)
    const fd = this.open(ref, executable)
    try {
      return readWhole(fd, ref.size, `blob ${ref.sha256}`)
    } finally {
      closeSync(fd)
    }
  }

  /**
   * Checks that a blob still holds the bytes its name says, reading it unless this store wrote or
   * checked it already (a file changed through a hard link into the store is caught here).
   */
  verify(ref: BlobRef, executable = false): void {
    const file = this.path(ref.sha256, executable)
    if (this.known.has(file)) return
    const fd = this.open(ref, executable)
    try {
      if (!this.hashes(fd, ref)) throw new DamagedBlobError(`blob ${ref.sha256} does not match its digest: it was changed after it was stored`)
    } finally {
      closeSync(fd)
    }
    this.known.add(file)
  }

  /**
   * Gives `target` (which must not exist) the blob's content: a hard link to it (read-only, sharing
   * its storage), or a checked copy with `mode` where the filesystem cannot link (another device). A
   * member of a local pack with no blob file of its own is copied out of the pack, checked: it is
   * small, and a copy creates one file where taking it out first and linking it creates a blob file,
   * its folder, and the link (what a restore from the remote costs per entry, docs/performance.md).
   */
  linkTo(ref: BlobRef, executable: boolean, target: string, mode: number): void {
    const file = this.path(ref.sha256, executable)
    if (!this.copies) {
      this.realDir(path.dirname(file), false)
      // link() does not follow a link at the source: a blob swapped for a link would be linked as one.
      const stat = lstatOrUndefined(file)
      if (stat === undefined && this.copyPacked(ref, target, executable ? 0o555 : 0o444)) return
      if (!stat?.isFile() || stat.size !== ref.size) throw new DamagedBlobError(`blob ${ref.sha256} is not a file of ${ref.size} bytes`)
      try {
        linkSync(file, target)
        return
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP') throw error
        if (code !== 'EMLINK') this.copies = true
      }
    }
    this.copyTo(ref, executable, target, mode)
  }

  /**
   * Copies a blob to `target`, which must not exist (it is created, never opened through a link), with
   * `mode`; checks the bytes copied against the digest (DamagedBlobError, the partial copy left for the
   * caller's folder to be removed).
   */
  copyTo(ref: BlobRef, executable: boolean, target: string, mode: number): void {
    const input = this.open(ref, executable)
    try {
      const output = openSync(target, CREATE_FLAGS, mode & 0o777)
      const hash = createHash('sha256')
      let size = 0
      try {
        const buffer = (shared ??= Buffer.allocUnsafe(CHUNK))
        for (let n; (n = readSync(input, buffer, 0, CHUNK, null)) > 0; ) {
          const bytes = buffer.subarray(0, n)
          hash.update(bytes)
          writeAll(output, bytes)
          size += n
        }
        // The umask applies at creation; the recorded mode is what the job produced.
        fchmodSync(output, mode & 0o777)
      } finally {
        closeSync(output)
      }
      if (size !== ref.size || hash.digest('hex') !== ref.sha256) throw new DamagedBlobError(`blob ${ref.sha256} does not match its digest`)
    } finally {
      closeSync(input)
    }
  }

  /** Called by a writer: moves its temp file under its digest, or drops it when the blob exists. */
  place(temp: string, ref: BlobRef, executable: boolean): void {
    if (this.reuse(ref, executable)) {
      unlinkSync(temp)
      return
    }
    // A missing blob, or something else under its name (a link, a truncated file): replaced whole.
    renameSync(temp, this.path(ref.sha256, executable))
    this.known.add(this.path(ref.sha256, executable))
  }

  /** True when the blob exists with these very bytes; it is then marked as just used, so a concurrent prune leaves it to the entry about to name it. */
  private reuse(ref: BlobRef, executable: boolean): boolean {
    const final = this.path(ref.sha256, executable)
    this.realDir(path.dirname(final), true)
    const existing = lstatOrUndefined(final)
    if (!existing?.isFile() || existing.size !== ref.size || !this.holds(final, ref)) return false
    const now = new Date()
    utimesSync(final, now, now)
    this.known.add(final)
    return true
  }

  /** Whether an existing blob still has its bytes: one changed through a hard link is replaced, not reused. */
  private holds(file: string, ref: BlobRef): boolean {
    if (this.known.has(file)) return true
    let fd: number
    try {
      fd = openSync(file, READ_FLAGS)
    } catch {
      return false
    }
    try {
      return this.hashes(fd, ref)
    } finally {
      closeSync(fd)
    }
  }

  private hashes(fd: number, ref: BlobRef): boolean {
    const hash = createHash('sha256')
    const buffer = (shared ??= Buffer.allocUnsafe(CHUNK))
    let size = 0
    for (let n; (n = readSync(fd, buffer, 0, CHUNK, null)) > 0; size += n) hash.update(buffer.subarray(0, n))
    return size === ref.size && hash.digest('hex') === ref.sha256
  }

  /** Checks (once per store) that a folder of the store is a real folder; when `create`, makes it one. */
  realDir(dir: string, create: boolean): void {
    if (this.checked.has(dir)) return
    let stat = lstatOrUndefined(dir)
    // About to write: a link or a file in a folder's place is removed (never followed) and the folder
    // made again; what it held elsewhere is simply no longer in the cache (entries naming it are misses).
    if (stat !== undefined && !stat.isDirectory() && create) {
      rmSync(dir, {force: true})
      stat = undefined
    }
    if (stat === undefined && create) {
      mkdirSync(dir, {recursive: true})
      stat = lstatSync(dir)
    }
    if (stat === undefined) return
    if (!stat.isDirectory()) throw new UnsafeStoreError(`${dir} is ${stat.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}: the cache does not read or write through it`)
    this.checked.add(dir)
  }
}

/** One blob being written: bytes are hashed as they are written, synchronously, with no fsync (a crash loses a temp file, never a named blob's integrity: reads verify). */
export class BlobWriter {
  private readonly fd: number
  private readonly hash: Hash = createHash('sha256')
  private size = 0
  private done = false

  constructor(
    private readonly store: BlobStore,
    private readonly temp: string,
    private readonly executable: boolean,
  ) {
    this.fd = openSync(temp, CREATE_FLAGS, 0o600)
  }

  write(chunk: Uint8Array): void {
    this.hash.update(chunk)
    writeAll(this.fd, chunk)
    this.size += chunk.length
  }

  /** Closes the blob and names it by its digest; returns that digest and the size. With `expected`, bytes of any other digest are dropped (DamagedBlobError). */
  commit(expected?: BlobRef): BlobRef {
    this.done = true
    try {
      fchmodSync(this.fd, this.executable ? 0o555 : 0o444)
    } finally {
      closeSync(this.fd)
    }
    const ref = {sha256: this.hash.digest('hex'), size: this.size}
    if (expected !== undefined && (expected.sha256 !== ref.sha256 || expected.size !== ref.size)) {
      rmSync(this.temp, {force: true})
      throw new DamagedBlobError(`blob ${expected.sha256} came with ${ref.size} bytes of another digest`)
    }
    try {
      this.store.place(this.temp, ref, this.executable)
    } catch (error) {
      rmSync(this.temp, {force: true})
      throw error
    }
    return ref
  }

  /** Drops what was written. */
  abort(): void {
    if (this.done) return
    this.done = true
    try {
      closeSync(this.fd)
    } catch {
      // Already closed.
    }
    rmSync(this.temp, {force: true})
  }
}

/** `size` bytes from an open file, from its current position; DamagedBlobError when it ends first. */
export function readWhole(fd: number, size: number, name: string): Buffer {
  const bytes = Buffer.allocUnsafe(size)
  for (let offset = 0; offset < size; ) {
    const n = readSync(fd, bytes, offset, size - offset, null)
    if (n === 0) throw new DamagedBlobError(`${name} is shorter than ${size} bytes`)
    offset += n
  }
  return bytes
}

/** A local pack's member list and where its bytes start; undefined when it is not a readable pack of the size its list says. */
function readPackList(file: string): {members: BlobRef[]; dataStart: number} | undefined {
  let fd: number
  try {
    fd = openSync(file, READ_FLAGS)
  } catch {
    return undefined
  }
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile() || stat.size < PACK_FIRST_LINE) return undefined
    const first = readWhole(fd, PACK_FIRST_LINE, file).toString('latin1')
    const listBytes = Number(first.slice(PACK_MAGIC.length, -1))
    if (!first.startsWith(PACK_MAGIC) || !first.endsWith('\n') || !Number.isSafeInteger(listBytes) || listBytes < 0 || PACK_FIRST_LINE + listBytes > stat.size) return undefined
    const members: BlobRef[] = []
    let total = 0
    for (const line of readWhole(fd, listBytes, file).toString('latin1').split('\n')) {
      if (line === '') continue
      const [sha256, size] = line.split(' ')
      const ref = {sha256: sha256 ?? '', size: Number(size)}
      if (!SHA256.test(ref.sha256) || !Number.isSafeInteger(ref.size) || ref.size < 0) return undefined
      members.push(ref)
      total += ref.size
    }
    const dataStart = PACK_FIRST_LINE + listBytes
    return dataStart + total === stat.size ? {members, dataStart} : undefined
  } catch {
    return undefined
  } finally {
    closeSync(fd)
  }
}

function readdirOrEmpty(dir: string | undefined): string[] {
  if (dir === undefined) return []
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

function lstatOrUndefined(file: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
