import * as path from 'node:path/posix'
import type {Readable} from 'node:stream'
import tar from 'tar-stream'
import type {Header} from 'tar-stream'

import type {BlobStore} from '../../artifacts/blobs.js'
import {isExecutable} from '../../artifacts/materialise.js'
import {linksOutsideTree} from '../../artifacts/links.js'
import {assertTree, InvalidManifestError, sortEntries, type ArtifactEntry, type ArtifactFileEntry} from '../../artifacts/manifest.js'
import {OrcaError} from '../../errors.js'
import type {JobWarning} from '../types.js'

export interface ExtractOptions {
  /** Cap on the bytes of all regular files together. */
  maxBytes: number
  /** Cap on the number of entries of any type. */
  maxEntries: number
  /** Decides which entries are kept (called with the final `/`-separated path). */
  filter?(path: string): boolean
  /** Removed from the front of every entry name; entries outside it are ignored. */
  stripPrefix?: string
  /** Put in front of every entry name after `stripPrefix` (e.g. the folder an archive was taken from). */
  addPrefix?: string
  /** An absolute link target under this folder (the workdir) is kept as the same link made relative. */
  linkRoot?: string
  /** Told about entries that are not kept because of their type (devices, fifos). */
  onSkip?(entry: {path: string; type: string}): void
  /** The name an entry is recorded under (e.g. with secrets masked); default: its path. */
  rename?(path: string): string
  /** Told about an entry not kept because an earlier one was already recorded under the same name. */
  onClash?(entry: {path: string}): void
  /** Stops the extraction (it then rejects with the signal's reason). */
  signal?: AbortSignal
}

/** Raised when an archive tries to leave its destination or exceeds a cap; names the entry. */
export class UnsafeArchiveError extends OrcaError {
  constructor(message: string) {
    super('infra', message)
    this.name = 'UnsafeArchiveError'
  }
}

/** Entries read so far by name, with the archive path each came from (several archives fill one tree). */
export type ExtractedTree = Map<string, {entry: ArtifactEntry; from: string}>

/**
 * Reads a tar stream into the blob store: each regular file is streamed into a blob (hashed as it is
 * written, no per-file round trip to anything but the disk), links are recorded with their target,
 * hard links as the file they name; folders, devices and fifos are not kept. Nothing is written at an
 * entry's path, so no name can lead outside anything; names are still checked (no `..`, no absolute
 * paths) and caps enforced. Adds to `tree` and returns it.
 */
export async function extractToBlobs(stream: Readable, blobs: BlobStore, options: ExtractOptions, tree: ExtractedTree = new Map()): Promise<ExtractedTree> {
  const extract = tar.extract()
  // The entry being read is ended too: a cut stream must not leave its reader waiting forever.
  let current: {destroy(error?: Error): void} | undefined
  let stopped: Error | undefined
  const fail = (error: Error): void => {
    stopped ??= error
    current?.destroy(error)
    extract.destroy(error)
  }
  stream.on('error', fail)
  const onAbort = (): void => {
    stream.destroy()
    fail(options.signal?.reason instanceof Error ? options.signal.reason : new Error('stopped'))
  }
  options.signal?.addEventListener('abort', onAbort, {once: true})
  if (options.signal?.aborted) onAbort()
  let entries = 0
  let bytes = 0
  for (const {entry} of tree.values()) {
    entries++
    if (entry.type === 'file') bytes += entry.size
  }
  // Files by their path in the archive, which is what hard links name.
  const byArchivePath = new Map<string, ArtifactFileEntry>()

  const done = (async () => {
    for await (const item of extract) {
      current = item
      const header = item.header
      if (++entries > options.maxEntries) throw new UnsafeArchiveError(`archive has more than ${options.maxEntries} entries (at "${header.name}")`)
      const rel = entryPath(header.name, options)
      const type = header.type ?? 'file'
      const kept = rel !== null && type !== 'directory' && (!options.filter || options.filter(rel))
      if (!kept || (type !== 'file' && type !== 'contiguous-file' && type !== 'link' && type !== 'symlink')) {
        item.resume()
        if (kept) options.onSkip?.({path: rel, type})
        continue
      }
      const name = options.rename ? options.rename(rel) : rel
      const earlier = tree.get(name)
      if (earlier && earlier.from !== rel) {
        item.resume()
        options.onClash?.({path: name})
        continue
      }
      if (type === 'symlink') {
        item.resume()
        const target = linkTargetOf(header.linkname ?? '', rel, options)
        tree.set(name, {entry: {path: name, type: 'symlink', target: options.rename ? options.rename(target) : target}, from: rel})
        continue
      }
      if (type === 'link') {
        item.resume()
        const linked = hardLinkTarget(header.linkname ?? '', options)
        const source = linked === undefined ? undefined : byArchivePath.get(linked)
        if (source === undefined) {
          throw new UnsafeArchiveError(`archive entry "${header.name}" is a hard link to "${header.linkname}", which is not a file of this archive`)
        }
        bytes += source.size
        checkBytes(bytes, options, header)
        const file = {...source, path: name}
        byArchivePath.set(rel, file)
        tree.set(name, {entry: file, from: rel})
        continue
      }
      bytes += header.size ?? 0
      checkBytes(bytes, options, header)
      const mode = fileMode(header)
      const file = await intoBlob(item as unknown as AsyncIterable<Buffer>, blobs, header.size ?? 0, name, mode).catch((error: unknown) => {
        throw stopped ?? error
      })
      byArchivePath.set(rel, file)
      tree.set(name, {entry: file, from: rel})
    }
  })()
  stream.pipe(extract as unknown as NodeJS.WritableStream)
  try {
    await done
  } catch (error) {
    extract.destroy()
    stream.destroy()
    throw error
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
  }
  return tree
}

/** Links pointing outside the artifacts reported one by one; past this, one warning counts the rest. */
const LISTED_LINKS = 20

/**
 * The entries of a tree, sorted, without the links that lead outside it (each reported through
 * `onWarning`, the first LISTED_LINKS by name), checked to form a tree (UnsafeArchiveError otherwise).
 */
export function keptEntries(tree: ExtractedTree, onWarning?: (warning: JobWarning) => void): ArtifactEntry[] {
  const entries = sortEntries([...tree.values()].map((t) => t.entry))
  const outside = linksOutsideTree(entries)
  for (const [index, link] of outside.entries()) {
    if (link.type !== 'symlink') continue
    if (index < LISTED_LINKS) {
      onWarning?.({kind: 'artifact-link-outside', path: link.path, target: link.target, message: `artifact ${link.path} is a link to ${link.target}, outside the artifacts: not kept`})
    } else if (index === LISTED_LINKS) {
      onWarning?.({kind: 'artifact-link-outside', message: `${outside.length - LISTED_LINKS} more artifact links point outside the artifacts: not kept`})
    }
  }
  const dropped = new Set<ArtifactEntry>(outside)
  const kept = entries.filter((entry) => !dropped.has(entry))
  try {
    assertTree(kept)
  } catch (error) {
    if (error instanceof InvalidManifestError) throw new UnsafeArchiveError(`the archive is not a tree: ${error.message}`)
    throw error
  }
  return kept
}

/** Files up to this size are gathered in memory first: one already stored is then not written again. */
const IN_MEMORY = 1024 * 1024

async function intoBlob(item: AsyncIterable<Buffer>, blobs: BlobStore, size: number, name: string, mode: number): Promise<ArtifactFileEntry> {
  if (size <= IN_MEMORY) {
    const chunks: Buffer[] = []
    for await (const chunk of item) chunks.push(chunk)
    const ref = blobs.putBytes(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), isExecutable(mode))
    return {path: name, type: 'file', mode, size: ref.size, sha256: ref.sha256}
  }
  // Synchronous writes, chunk by chunk as they arrive: no per-file stream plumbing, no fsync.
  const writer = blobs.create(isExecutable(mode))
  try {
    for await (const chunk of item) writer.write(chunk)
    const ref = writer.commit()
    return {path: name, type: 'file', mode, size: ref.size, sha256: ref.sha256}
  } catch (error) {
    writer.abort()
    throw error
  }
}

/** Normalised `/`-separated path of an entry, or null when it lies outside `stripPrefix`. */
function entryPath(name: string, options: ExtractOptions): string | null {
  if (name.includes('\0') || name.startsWith('/') || /^[a-zA-Z]:/.test(name) || name.includes('\\')) {
    throw new UnsafeArchiveError(`archive entry "${name}" has an absolute or unsupported path`)
  }
  const segments = name.split('/').filter((s) => s !== '' && s !== '.')
  if (segments.includes('..')) {
    throw new UnsafeArchiveError(`archive entry "${name}" climbs out of its folder ("..")`)
  }
  let rel = segments.join('/')
  if (options.stripPrefix) {
    const prefix = options.stripPrefix.split('/').filter((s) => s !== '' && s !== '.').join('/')
    if (rel === prefix) return null
    if (!rel.startsWith(`${prefix}/`)) return null
    rel = rel.slice(prefix.length + 1)
  }
  if (options.addPrefix) {
    const prefix = options.addPrefix.split('/').filter((s) => s !== '' && s !== '.').join('/')
    if (prefix) rel = rel ? `${prefix}/${rel}` : prefix
  }
  return rel === '' ? null : rel
}

function hardLinkTarget(name: string, options: ExtractOptions): string | undefined {
  try {
    return entryPath(name, options) ?? undefined
  } catch {
    return undefined
  }
}

/** A link's target as recorded: absolute targets inside `linkRoot` become relative (whether it stays inside the tree is decided once the whole tree is known). */
function linkTargetOf(target: string, rel: string, options: ExtractOptions): string {
  const root = options.linkRoot?.replace(/\/+$/, '')
  if (!root || !target.startsWith(`${root}/`)) return target
  const fromDir = path.dirname(rel)
  return path.relative(fromDir === '.' ? '' : fromDir, target.slice(root.length + 1)) || '.'
}

function fileMode(header: Header): number {
  // Keep permission bits only: no setuid/setgid/sticky on host files.
  return (header.mode ?? 0o644) & 0o777
}

function checkBytes(bytes: number, options: ExtractOptions, header: Header): void {
  if (bytes > options.maxBytes) {
    throw new UnsafeArchiveError(`archive is larger than ${options.maxBytes} bytes (at "${header.name}")`)
  }
}
