import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import * as posix from 'node:path/posix'
import type {Readable} from 'node:stream'

import {BlobStore} from '../artifacts/blobs.js'
import {linksOutsideTree} from '../artifacts/links.js'
import type {ArtifactEntry} from '../artifacts/manifest.js'
import {workspaceArchive, type WorkspaceArchive} from '../executor/archive/pack.js'
import {extractToBlobs, keptEntries, UnsafeArchiveError} from '../executor/archive/extract.js'
import {SandboxError} from './errors.js'

/** Caps on one upload (`PUT /v1/sandboxes/{id}/files`). */
export interface UploadLimits {
  maxBytes: number
  maxEntries: number
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {maxBytes: 256 * 1024 ** 2, maxEntries: 20_000}

/** An absolute folder in a sandbox, normalised; `..`, relative paths and NUL are refused. */
export function sandboxPath(given: string): string {
  if (given.includes('\0') || !given.startsWith('/') || given.split('/').includes('..')) {
    throw new SandboxError('invalid_path', `path must be absolute without ".." segments, got ${JSON.stringify(given)}`)
  }
  return posix.normalize(given).replace(/(.)\/+$/, '$1')
}

/**
 * Reads an uploaded tar with the rules artifacts are collected by (no absolute or `..` names, hard
 * links only to files of the archive, size and entry caps), refuses it whole when a link leads out of
 * it, and gives back the same files as an archive that creates them under `dir` (to extract at `/`).
 * Nothing reaches the sandbox before the whole upload is checked. Folders are created as files need them.
 */
export async function checkedUpload(stream: Readable, dir: string, limits: UploadLimits): Promise<{archive: WorkspaceArchive; entries: ArtifactEntry[]; dispose: () => void}> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'orca-sandbox-upload-'))
  const dispose = (): void => rmSync(scratch, {recursive: true, force: true})
  try {
    const blobs = new BlobStore(path.join(scratch, 'blobs'), path.join(scratch, 'tmp'))
    const tree = await extractToBlobs(stream, blobs, {maxBytes: limits.maxBytes, maxEntries: limits.maxEntries})
    const all = [...tree.values()].map((t) => t.entry)
    const outside = linksOutsideTree(all).filter((entry) => entry.type === 'symlink')
    if (outside.length > 0) {
      const link = outside[0]!
      throw new SandboxError('unsafe_archive', `archive entry "${link.path}" is a link to "${link.type === 'symlink' ? link.target : ''}", outside the archive`)
    }
    const entries = keptEntries(tree)
    const archive = workspaceArchive({workdir: dir, projectDir: scratch, files: [], artifacts: [entries], blobs})
    return {archive, entries, dispose}
  } catch (error) {
    dispose()
    if (error instanceof UnsafeArchiveError) throw new SandboxError('unsafe_archive', error.message)
    if (error instanceof SandboxError) throw error
    throw new SandboxError('unsafe_archive', `not a readable tar archive: ${(error as Error).message}`)
  }
}
