import {createHash} from 'node:crypto'
import {constants, createReadStream} from 'node:fs'
import {lstat, mkdir, open, realpath} from 'node:fs/promises'
import * as path from 'node:path'
import type {Readable} from 'node:stream'
import {Transform} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import tar from 'tar-stream'
import type {Header} from 'tar-stream'
import type {ArtifactFileEntry} from '../../artifacts/manifest.js'
import {OrcaError} from '../../errors.js'

export interface ExtractOptions {
  /** Cap on the bytes of all regular files together. */
  maxBytes: number
  /** Cap on the number of entries of any type. */
  maxEntries: number
  /** Decides which files are written (called with the final `/`-separated path). */
  filter?(path: string): boolean
  /** Removed from the front of every entry name; entries outside it are ignored. */
  stripPrefix?: string
  /** Put in front of every entry name after `stripPrefix` (e.g. the folder an archive was taken from). */
  addPrefix?: string
  /** Told about entries that are not written because of their type (symlinks, devices, fifos). */
  onSkip?(entry: {path: string; type: string}): void
  /** The name a file is written and recorded under (e.g. with secrets masked); default: its path. */
  rename?(path: string): string
  /** Told about a file not written because an earlier one was already written under the same name. */
  onClash?(entry: {path: string}): void
  /** Names already written (shared by the extractions that fill one folder). */
  names?: Set<string>
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

/**
 * Extracts a tar stream into destDir, writing regular files and directories only, never outside
 * destDir and never through a symlink; returns a record (size, sha256) of every file written.
 */
export async function extractArchive(stream: Readable, destDir: string, options: ExtractOptions): Promise<ArtifactFileEntry[]> {
  const extract = tar.extract()
  // The entry being written is ended too: a cut stream must not leave its write waiting forever.
  let current: NodeJS.ReadableStream & {destroy(error?: Error): void} | undefined
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
  let root: string
  try {
    await mkdir(destDir, {recursive: true})
    root = await realpath(destDir)
  } catch (error) {
    stream.destroy()
    throw error
  }
  // By the entry's own path (what hard links name); records carry the name written.
  const written = new Map<string, ArtifactFileEntry>()
  const names = options.names ?? new Set<string>()
  let entries = 0
  let bytes = 0

  const done = (async () => {
    for await (const entry of extract) {
      current = entry as unknown as typeof current
      const header = entry.header
      entries++
      if (entries > options.maxEntries) {
        throw new UnsafeArchiveError(`archive has more than ${options.maxEntries} entries (at "${header.name}")`)
      }
      const rel = entryPath(header.name, options)
      if (rel === null) {
        entry.resume()
        continue
      }
      const type = header.type ?? 'file'
      if (type === 'directory') {
        entry.resume()
        continue // directories are created when a file needs them, so filtered-out trees stay absent
      }
      if (type !== 'file' && type !== 'contiguous-file' && type !== 'link') {
        entry.resume()
        options.onSkip?.({path: rel, type})
        continue
      }
      if (options.filter && !options.filter(rel)) {
        entry.resume()
        continue
      }
      const name = options.rename ? options.rename(rel) : rel
      if (names.has(name)) {
        entry.resume()
        options.onClash?.({path: name})
        continue
      }
      names.add(name)
      const target = await prepareTarget(root, name)
      if (stopped) throw stopped
      if (type === 'link') {
        entry.resume()
        const linked = linkTarget(header.linkname ?? '', options)
        const source = linked === undefined ? undefined : written.get(linked)
        if (source === undefined) {
          throw new UnsafeArchiveError(`archive entry "${header.name}" is a hard link to "${header.linkname}", which is not a file of this archive`)
        }
        bytes += source.size
        checkBytes(bytes, options, header)
        const copy = createReadStream(path.join(root, ...source.path.split('/')))
        written.set(rel, await writeFile(copy, target, name, source.mode))
        continue
      }
      bytes += header.size ?? 0
      checkBytes(bytes, options, header)
      const record = await writeFile(entry as unknown as AsyncIterable<Buffer>, target, name, fileMode(header))
      written.set(rel, record)
    }
  })()
  stream.pipe(extract as unknown as NodeJS.WritableStream)
  await done
    .catch((error: unknown) => {
      extract.destroy()
      stream.destroy()
      throw error
    })
    .finally(() => options.signal?.removeEventListener('abort', onAbort))
  return [...written.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
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

function linkTarget(name: string, options: ExtractOptions): string | undefined {
  try {
    return entryPath(name, options) ?? undefined
  } catch {
    return undefined
  }
}

/** Creates the parent folders of rel under root, refusing symlinks and non-folders on the way. */
async function prepareTarget(root: string, rel: string): Promise<string> {
  const segments = rel.split('/')
  let current = root
  for (const segment of segments.slice(0, -1)) {
    current = path.join(current, segment)
    const stat = await lstat(current).catch(() => undefined)
    if (stat === undefined) {
      await mkdir(current)
    } else if (stat.isSymbolicLink()) {
      throw new UnsafeArchiveError(`archive entry "${rel}" would be written through the symlink "${current}"`)
    } else if (!stat.isDirectory()) {
      throw new UnsafeArchiveError(`archive entry "${rel}" needs "${current}" to be a folder`)
    }
  }
  const target = path.join(current, segments.at(-1) ?? '')
  if (!target.startsWith(root + path.sep)) {
    throw new UnsafeArchiveError(`archive entry "${rel}" resolves outside the destination`)
  }
  return target
}

async function writeFile(entry: AsyncIterable<Buffer>, target: string, rel: string, mode: number): Promise<ArtifactFileEntry> {
  const hash = createHash('sha256')
  let size = 0
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk)
      size += chunk.length
      callback(null, chunk)
    },
  })
  // O_NOFOLLOW: an existing symlink at the target makes the open fail instead of writing through it.
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW
  try {
    const handle = await open(target, flags, mode)
    // The umask applies at creation; the recorded mode is what the job produced.
    await handle.chmod(mode)
    // An entry destroyed meanwhile (the copy was stopped) would never end a pipeline started now.
    if ((entry as {destroyed?: boolean}).destroyed) {
      await handle.close()
      throw new Error('the archive was cut short')
    }
    await pipeline(entry, tap, handle.createWriteStream())
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new UnsafeArchiveError(`archive entry "${rel}" would be written through a symlink`)
    }
    throw error
  }
  return {path: rel, type: 'file', mode, size, sha256: hash.digest('hex')}
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
