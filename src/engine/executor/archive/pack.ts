import {createReadStream} from 'node:fs'
import {lstat, readdir, readlink} from 'node:fs/promises'
import * as path from 'node:path'
import type {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import tar from 'tar-stream'
import type {Pack} from 'tar-stream'

export interface WorkspaceArchiveOptions {
  /** Absolute folder in the container the archive creates and fills (extracted at `/`). */
  workdir: string
  /** Folder the input files are relative to. */
  projectDir: string
  /** Relative `/`-separated paths of project files. */
  files: string[]
  /** Host folders whose contents are added under workdir (later ones win on a clash). */
  dirs: string[]
  /** Owner written into every header (the container user when numeric). */
  uid?: number
  gid?: number
}

export interface WorkspaceArchive {
  stream: Readable
  /** Settles when every entry is written; rejects with the reason the stream was cut short. */
  done: Promise<void>
}

/**
 * A tar stream, to be extracted at `/`, that creates workdir and fills it with the project files and
 * the contents of the given folders. Modes are kept; symlinks are stored as links, never followed.
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

  const addPath = async (rel: string, source: string): Promise<void> => {
    if (rel.startsWith('/') || rel.split('/').includes('..')) throw new Error(`input path "${rel}" leaves the project`)
    const stat = await lstat(source)
    const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : ''
    await addDir(parent)
    const name = `${base}/${rel}`
    const mode = stat.mode & 0o7777
    if (stat.isSymbolicLink()) {
      await entry(pack, {name, type: 'symlink', linkname: await readlink(source), mode, mtime: stat.mtime, ...owner})
    } else if (stat.isDirectory()) {
      await addDir(rel, mode)
    } else if (stat.isFile()) {
      const writable = pack.entry({name, type: 'file', size: stat.size, mode, mtime: stat.mtime, ...owner})
      await pipeline(createReadStream(source), writable as unknown as NodeJS.WritableStream)
    }
    // Sockets, fifos and devices are not copied.
  }

  const addTree = async (root: string, rel: string): Promise<void> => {
    const names = (await readdir(rel ? path.join(root, rel) : root)).sort()
    for (const child of names) {
      const childRel = rel ? `${rel}/${child}` : child
      const source = path.join(root, childRel)
      await addPath(childRel, source)
      const stat = await lstat(source)
      if (stat.isDirectory()) await addTree(root, childRel)
    }
  }

  // The failure is reported through `done`; a consumer that attaches late must not crash the process.
  pack.on('error', () => undefined)
  const done = (async () => {
    await addDir('')
    for (const file of [...options.files].sort()) {
      await addPath(file, path.join(options.projectDir, ...file.split('/')))
    }
    // A needed job whose artifact globs matched nothing has no artifacts directory: nothing to add.
    for (const dir of options.dirs) if (await isDirectory(dir)) await addTree(dir, '')
    pack.finalize()
  })().catch((error: unknown) => {
    pack.destroy(error as Error)
    throw error
  })
  return {stream: pack as unknown as Readable, done}
}

function entry(pack: Pack, header: Parameters<Pack['entry']>[0]): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, (error) => (error ? reject(error) : resolve()))
  })
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await lstat(dir)).isDirectory()
  } catch {
    return false
  }
}
