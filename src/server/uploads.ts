import {lstatSync, readdirSync, rmSync, statSync, unlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import type {Readable} from 'node:stream'

import {extract} from 'tar-stream'

import {BlobStore, DamagedBlobError, type BlobRef, type BlobWriter} from '../engine/artifacts/blobs.js'
import {InvalidManifestError, parseArtifactManifest, type ArtifactEntry} from '../engine/artifacts/manifest.js'
import type {ProjectFiles} from '../engine/plan/project-files.js'
import {HttpError} from './http-error.js'
import {Workspaces} from './workspaces.js'

const SHA256 = /^[0-9a-f]{64}$/

/** A tree manifest larger than this is refused (about 400k files). */
const MAX_TREE_BYTES = 64 * 1024 * 1024

/**
 * Uploaded blobs are stored plainly; a file's mode comes from the tree that names it, so an
 * executable file is copied from the same blob as a plain one.
 */
class UploadedBlobs extends BlobStore {
  override copyTo(ref: BlobRef, _executable: boolean, target: string, mode: number): void {
    super.copyTo(ref, false, target, mode)
  }

  override linkTo(ref: BlobRef, _executable: boolean, target: string, mode: number): void {
    super.copyTo(ref, false, target, mode)
  }
}

/**
 * The content clients uploaded for runs of their working trees: blobs by SHA-256 under
 * `<stateDir>/blobs`, at most `maxBytes` of them (the least recently used go first), and a folder
 * per live run laid out from a tree of those blobs (see Workspaces).
 */
export class UploadStore {
  private readonly blobs: BlobStore
  private readonly workspaces: Workspaces

  constructor(
    readonly stateDir: string,
    readonly maxBytes: number,
    /** Where run folders go: outside any git work tree, so nothing but the tree itself is listed. */
    workspacesDir = path.join(tmpdir(), `orca-serve-workspaces-${process.getuid?.() ?? 'user'}`),
  ) {
    this.blobs = new UploadedBlobs(path.join(stateDir, 'blobs'), path.join(stateDir, 'tmp'))
    this.workspaces = new Workspaces(workspacesDir)
  }

  /** The digests among `digests` the store does not hold. */
  missing(digests: readonly string[]): string[] {
    const missing = new Set<string>()
    for (const digest of digests) if (!this.holds(digest)) missing.add(digest)
    return [...missing]
  }

  private holds(digest: string): boolean {
    if (!SHA256.test(digest)) throw new HttpError(400, 'invalid_request', `not a SHA-256 digest: ${JSON.stringify(digest.slice(0, 80))}`)
    return lstatSync(this.blobs.path(digest), {throwIfNoEntry: false})?.isFile() === true
  }

  /**
   * Stores the files of a tar whose every entry is a regular file named by the SHA-256 of its content
   * (no folders, no paths, no links: nothing is extracted anywhere but into the store, under the digest
   * the bytes have). A name that is no digest, or bytes of another digest, refuse the whole upload
   * from that entry on; entries before it are kept (they are correct).
   */
  async receive(tar: Readable, limitBytes: number): Promise<{blobs: number; bytes: number}> {
    const reader = extract()
    let received = 0
    let blobs = 0
    let bytes = 0
    // Content is bounded by the cap; the tar around it (headers, padding) by as much again.
    const tooLarge = new HttpError(413, 'too_large', `the upload is larger than this server's store of uploads (${limitBytes} bytes)`)
    tar.on('data', (chunk: Buffer) => {
      received += chunk.length
      if (received > 2 * limitBytes + 1024 * 1024) tar.destroy(tooLarge)
    })
    tar.on('error', (error) => reader.destroy(error))
    tar.pipe(reader)
    try {
      for await (const entry of reader) {
        const {name, type} = entry.header
        if (type !== 'file' || !SHA256.test(name)) {
          throw new HttpError(400, 'invalid_upload', `upload entry ${JSON.stringify(name.slice(0, 80))} is not a file named by its SHA-256 digest`)
        }
        const writer: BlobWriter = this.blobs.create(false)
        try {
          for await (const chunk of entry as AsyncIterable<Buffer>) {
            writer.write(chunk)
            if ((bytes += chunk.length) > limitBytes) throw tooLarge
          }
          const ref = writer.commit()
          if (ref.sha256 !== name) {
            rmSync(this.blobs.path(ref.sha256), {force: true})
            throw new HttpError(400, 'digest_mismatch', `upload entry ${name} holds bytes of digest ${ref.sha256}`)
          }
          blobs++
        } catch (error) {
          writer.abort()
          throw error
        }
      }
    } catch (error) {
      if (error instanceof HttpError) throw error
      throw new HttpError(400, 'invalid_upload', `the upload is not a readable tar: ${(error as Error).message}`)
    } finally {
      this.prune()
    }
    return {blobs, bytes}
  }

  /**
   * Lays out the tree whose manifest has this digest in a fresh folder; returns it with the tree's
   * listing. A manifest that is not a tree (unsafe paths, a link leaving it, a file under a file) is a
   * 400; a manifest or files the store lacks are a 409.
   */
  workspace(treeDigest: string): {dir: string; listing: ProjectFiles} {
    const {entries, orcaFiles} = this.readTree(treeDigest)
    const lacking = this.missing(entries.flatMap((entry) => (entry.type === 'file' ? [entry.sha256] : [])))
    if (lacking.length > 0) throw blobsMissing(`${lacking.length} file(s) of the tree are not uploaded`)
    let dir: string
    try {
      dir = this.workspaces.take(entries, this.blobs)
    } catch (error) {
      if (error instanceof DamagedBlobError) throw blobsMissing(`a file of the tree is not uploaded: ${error.message}`)
      throw error
    }
    const files = entries.map((entry) => entry.path)
    const present = new Set(files)
    return {dir, listing: {files, orcaFiles: orcaFiles.filter((name) => present.has(name)).sort(), source: 'walk', untracked: []}}
  }

  private readTree(digest: string): {entries: ArtifactEntry[]; orcaFiles: string[]} {
    if (!this.holds(digest)) throw blobsMissing(`the tree ${digest} is not uploaded`)
    const size = statSync(this.blobs.path(digest)).size
    if (size > MAX_TREE_BYTES) throw new HttpError(400, 'invalid_tree', `the tree manifest is larger than ${MAX_TREE_BYTES} bytes`)
    const text = this.blobs.readVerified({sha256: digest, size}).toString('utf8')
    try {
      const entries = parseArtifactManifest(text)
      const orcaFiles = (JSON.parse(text) as {orcaFiles?: unknown}).orcaFiles
      return {entries, orcaFiles: Array.isArray(orcaFiles) ? orcaFiles.filter((name): name is string => typeof name === 'string') : []}
    } catch (error) {
      if (error instanceof InvalidManifestError) throw new HttpError(400, 'invalid_tree', `the tree is not a tree of files: ${error.message.replace(/^artifact /, 'file ')}`)
      throw error
    }
  }

  /** Removes the run folders kept for later runs (the server is stopping). */
  close(): Promise<void> {
    return this.workspaces.close()
  }

  /** Gives a run's folder back once its run is recorded (see Workspaces). */
  releaseWorkspace(dir: string): void {
    this.workspaces.give(dir)
  }

  /** Drops the least recently used blobs until the store holds at most `maxBytes`. */
  prune(): void {
    const root = path.join(this.stateDir, 'blobs')
    const files: Array<{file: string; size: number; used: number}> = []
    for (const shard of readdirSafe(root)) {
      for (const name of readdirSafe(path.join(root, shard))) {
        const file = path.join(root, shard, name)
        const stat = statSync(file, {throwIfNoEntry: false})
        if (stat?.isFile()) files.push({file, size: stat.size, used: stat.mtimeMs})
      }
    }
    let total = files.reduce((sum, f) => sum + f.size, 0)
    if (total <= this.maxBytes) return
    files.sort((a, b) => a.used - b.used)
    for (const f of files) {
      if (total <= this.maxBytes) break
      unlinkSync(f.file)
      total -= f.size
    }
  }
}

function blobsMissing(message: string): HttpError {
  return new HttpError(409, 'blobs_missing', message, {
    hint: 'ask POST /v1/uploads/missing which digests to send, send them with POST /v1/uploads, then submit again',
  })
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
