import {closeSync, constants, createReadStream, fstatSync, lstatSync, openSync, readdirSync, readlinkSync} from 'node:fs'
import type {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import tar from 'tar-stream'
import type {Pack} from 'tar-stream'

import {readWhole, type BlobStore} from '../../artifacts/blobs.js'
import {isExecutable} from '../../artifacts/materialise.js'
import type {ArtifactEntry} from '../../artifacts/manifest.js'

export interface WorkspaceArchiveOptions {
  /** Absolute folder in the container the archive creates and fills (extracted at `/`). */
  workdir: string
  /** Folder the input files are relative to. */
  projectDir: string
  /** Relative `/`-separated paths of project files. */
  files: string[]
  /** Artifacts of needed jobs, added under workdir in order (a later one wins on a clash). */
  artifacts?: ReadonlyArray<readonly ArtifactEntry[]>
  /** Where the artifacts' content is. */
  blobs?: BlobStore
  /** Absolute path of an empty file created for the job to write to (its outputs), with its folder. */
  outputFile?: string
  /** A host folder copied whole under workdir as `.git` (a job with `git:`). */
  gitDir?: string
  /** Absolute folders (named volumes' mount points) given to the owner: created if missing, never emptied. */
  ownedDirs?: string[]
  /** Absolute path of an empty file written as the archive's last entry: its presence proves the archive whole. */
  sentinel?: string
  /** Owner written into every header (the container user when numeric). */
  uid?: number
  gid?: number
}

export interface WorkspaceArchive {
  stream: Readable
  /** Settles when every entry is written; rejects with the reason the stream was cut short. */
  done: Promise<void>
}

/** Files up to this size are read whole with one call; larger ones are streamed. */
const WHOLE_FILE = 1024 * 1024

/**
 * A tar stream, to be extracted at `/`, that creates workdir and fills it with the project files and
 * the needs' artifacts (read from the blob store by digest). Modes are kept; symlinks are stored as
 * links, never followed. Small files are read with one synchronous call each: per file, the archive
 * costs an open, a read and a close, not a stream.
 */
export function workspaceArchive(options: WorkspaceArchiveOptions): WorkspaceArchive {
  const pack = tar.pack()
  const base = options.workdir.split('/').filter(Boolean).join('/')
  const owner = {uid: options.uid ?? 0, gid: options.gid ?? 0}
  const madeDirs = new Set<string>()

  const addDir = async (rel: string, mode = 0o755): Promise<void> => {
    const name = rel ? `${base}/${rel}` : base
    if (madeDirs.has(name)) return
    // Parents first, so every folder gets the owner, not just the leaves.
    const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : rel ? '' : undefined
    if (parent !== undefined) await addDir(parent)
    madeDirs.add(name)
    await entry(pack, {name, type: 'directory', mode, ...owner})
  }

  const addParent = (rel: string): Promise<void> => addDir(rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '')

  const addProjectPath = async (rel: string, source: string): Promise<void> => {
    if (rel.startsWith('/') || rel.split('/').includes('..')) throw new Error(`input path "${rel}" leaves the project`)
    const stat = lstatSync(source)
    await addParent(rel)
    const name = `${base}/${rel}`
    const mode = stat.mode & 0o7777
    if (stat.isSymbolicLink()) {
      await entry(pack, {name, type: 'symlink', linkname: readlinkSync(source), mode, mtime: stat.mtime, ...owner})
    } else if (stat.isDirectory()) {
      await addDir(rel, mode)
    } else if (stat.isFile()) {
      const fd = openSync(source, constants.O_RDONLY | constants.O_NOFOLLOW)
      await addFile(pack, fd, {name, size: stat.size, mode, mtime: stat.mtime, ...owner})
    }
    // Sockets, fifos and devices are not copied.
  }

  const addArtifact = async (artifact: ArtifactEntry): Promise<void> => {
    await addParent(artifact.path)
    const name = `${base}/${artifact.path}`
    if (artifact.type === 'symlink') return entry(pack, {name, type: 'symlink', linkname: artifact.target, mode: 0o777, ...owner})
    const fd = options.blobs!.open(artifact, isExecutable(artifact.mode))
    await addFile(pack, fd, {name, size: artifact.size, mode: artifact.mode, ...owner})
  }

  // The failure is reported through `done`; a consumer that attaches late must not crash the process.
  pack.on('error', () => undefined)
  const done = (async () => {
    await addDir('')
    for (const file of [...options.files].sort()) {
      await addProjectPath(file, `${options.projectDir}/${file}`)
    }
    for (const artifacts of options.artifacts ?? []) for (const artifact of artifacts) await addArtifact(artifact)
    if (options.gitDir !== undefined) for (const rel of listTree(options.gitDir)) await addProjectPath(`.git/${rel}`, `${options.gitDir}/${rel}`)
    for (const dir of options.ownedDirs ?? []) {
      const name = dir.split('/').filter(Boolean).join('/')
      // A folder entry over an existing folder changes only its owner and mode, never what it holds.
      if (name !== '' && !madeDirs.has(name)) await entry(pack, {name, type: 'directory', mode: 0o755, ...owner})
      madeDirs.add(name)
    }
    if (options.outputFile !== undefined) {
      const name = options.outputFile.split('/').filter(Boolean).join('/')
      const folder = name.slice(0, name.lastIndexOf('/'))
      // The job's user owns both, so a step that is not root can write its outputs.
      if (folder !== '' && !madeDirs.has(folder)) await entry(pack, {name: folder, type: 'directory', mode: 0o755, ...owner})
      await entry(pack, {name, type: 'file', mode: 0o644, ...owner}, Buffer.alloc(0))
    }
    if (options.sentinel !== undefined) await entry(pack, {name: options.sentinel.split('/').filter(Boolean).join('/'), type: 'file', mode: 0o600}, Buffer.alloc(0))
    pack.finalize()
  })().catch((error: unknown) => {
    pack.destroy(error as Error)
    throw error
  })
  return {stream: pack as unknown as Readable, done}
}

/**
 * A tar stream of one file or folder of this machine, named as `docker cp` (getArchive) names a path of
 * a container: the path's last component, then everything below it. Links are stored as links, never
 * followed; sockets, fifos and devices are left out. Undefined when nothing is at `source`.
 */
export function treeArchive(source: string): WorkspaceArchive | undefined {
  try {
    lstatSync(source)
  } catch {
    return undefined
  }
  const pack = tar.pack()
  const add = async (file: string, name: string): Promise<void> => {
    const stat = lstatSync(file)
    const mode = stat.mode & 0o7777
    if (stat.isSymbolicLink()) await entry(pack, {name, type: 'symlink', linkname: readlinkSync(file), mode, mtime: stat.mtime})
    else if (stat.isFile()) await addFile(pack, openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW), {name, size: stat.size, mode, mtime: stat.mtime})
    else if (stat.isDirectory()) {
      await entry(pack, {name, type: 'directory', mode, mtime: stat.mtime})
      for (const child of readdirSync(file).sort()) await add(`${file}/${child}`, `${name}/${child}`)
    }
  }
  pack.on('error', () => undefined)
  const done = (async () => {
    await add(source, source.slice(source.lastIndexOf('/') + 1))
    pack.finalize()
  })().catch((error: unknown) => {
    pack.destroy(error as Error)
    throw error
  })
  return {stream: pack as unknown as Readable, done}
}

/** Every path under `dir`, relative and sorted, folders before what they hold; links are not followed. */
function listTree(dir: string): string[] {
  const paths: string[] = ['']
  const walk = (rel: string): void => {
    for (const entry of readdirSync(rel ? `${dir}/${rel}` : dir, {withFileTypes: true}).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const child = rel ? `${rel}/${entry.name}` : entry.name
      paths.push(child)
      if (entry.isDirectory()) walk(child)
    }
  }
  walk('')
  return paths.filter(Boolean)
}

/** Adds an open file (closed here) of the size given: read whole when small, streamed when large. */
async function addFile(pack: Pack, fd: number, header: Parameters<Pack['entry']>[0] & {size: number}): Promise<void> {
  let body: Buffer | undefined
  try {
    if (!fstatSync(fd).isFile()) throw new Error(`${header.name} is not a file`)
    if (header.size <= WHOLE_FILE) body = readWhole(fd, header.size, header.name)
  } catch (error) {
    closeSync(fd)
    throw error
  }
  if (body !== undefined) {
    closeSync(fd)
    return entry(pack, {...header, type: 'file'}, body)
  }
  const writable = pack.entry({...header, type: 'file'})
  await pipeline(createReadStream('', {fd, start: 0, end: header.size - 1}), writable as unknown as NodeJS.WritableStream)
}

function entry(pack: Pack, header: Parameters<Pack['entry']>[0], body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error | null): void => (error ? reject(error) : resolve())
    if (body === undefined) pack.entry(header, done)
    else pack.entry(header, body, done)
  })
}
