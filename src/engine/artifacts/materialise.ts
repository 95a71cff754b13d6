import {mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync} from 'node:fs'
import * as path from 'node:path'

import type {BlobStore} from './blobs.js'
import type {ArtifactEntry} from './manifest.js'

/** Blobs of executable files are stored under their own name (they keep their mode when linked). */
export function isExecutable(mode: number): boolean {
  return (mode & 0o111) !== 0
}

/**
 * Writes entries (checked by parseArtifactManifest or made by orca) from the blob store into
 * `finalDir`: first into a folder created next to it, where orca makes every subfolder itself (so no
 * path component can be a link it did not write), then renamed into place. With `link`, files are
 * read-only hard links to their blobs (copies where the filesystem cannot link), else checked copies.
 * Throws DamagedBlobError when a blob is missing or does not match; nothing is left behind on failure.
 */
export function materialise(entries: readonly ArtifactEntry[], blobs: BlobStore, finalDir: string, options: {link?: boolean} = {}): void {
  const parent = path.dirname(finalDir)
  mkdirSync(parent, {recursive: true})
  const temp = mkdtempSync(path.join(parent, `.${path.basename(finalDir)}.partial-`))
  try {
    const made = new Set<string>([''])
    for (const entry of entries) {
      const target = path.join(temp, ...entry.path.split('/'))
      makeParents(temp, entry.path, made)
      if (entry.type === 'symlink') symlinkSync(entry.target, target)
      else if (options.link) blobs.linkTo(entry, isExecutable(entry.mode), target, entry.mode)
      else blobs.copyTo(entry, isExecutable(entry.mode), target, entry.mode)
    }
    rmSync(finalDir, {recursive: true, force: true})
    renameSync(temp, finalDir)
  } catch (error) {
    rmSync(temp, {recursive: true, force: true})
    throw error
  }
}

/** Creates the folders above `rel` under root, each once; mkdir fails rather than reuse anything it did not make. */
function makeParents(root: string, rel: string, made: Set<string>): void {
  let slash = rel.indexOf('/')
  while (slash !== -1) {
    const dir = rel.slice(0, slash)
    if (!made.has(dir)) {
      mkdirSync(path.join(root, ...dir.split('/')), 0o755)
      made.add(dir)
    }
    slash = rel.indexOf('/', slash + 1)
  }
}
