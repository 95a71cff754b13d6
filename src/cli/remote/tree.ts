import {createHash} from 'node:crypto'
import {createReadStream, lstatSync, readlinkSync} from 'node:fs'
import * as path from 'node:path'
import {Readable} from 'node:stream'
import {finished} from 'node:stream/promises'

import {pack} from 'tar-stream'

import {OrcaApiError} from '../../client/index.js'
import {projectFilesOf} from '../../engine/cache/open.js'
import {InputHasher} from '../../engine/cache/hash-inputs.js'
import {indexFile} from '../../engine/cache/index-files.js'
import type {ResolvedConfig} from '../../engine/config/types.js'
import {OrcaError} from '../../engine/errors.js'
import type {Pipeline} from '../../engine/pipeline/types.js'
import {remoteCall, type Remote} from './connection.js'

/** One file of the tree manifest (the artifact manifest's format). */
type TreeFile = {path: string; type: 'file'; mode: number; size: number; sha256: string} | {path: string; type: 'symlink'; target: string}

/** A project's working tree as the server gets it: the manifest, and where each digest's bytes are. */
export interface WorkingTree {
  /** SHA-256 of `manifest`: what `POST /v1/runs` names as `tree`. */
  digest: string
  manifest: Buffer
  files: number
  /** A file holding each content digest of the tree. */
  sources: Map<string, {file: string; size: number}>
}

/** What a remote run sent before it started. */
export interface TreeUpload {
  tree: string
  files: number
  /** Contents the server lacked and got (the manifest left out). */
  sentFiles: number
  bytes: number
}

/**
 * The working tree a local run would see: the project's files as a local run lists them (git's, or a
 * walk honouring the ignore files; orca's state left out), hashed with the same stat index, with their
 * modes; orca's own files marked as such, so the server's jobs get the same default inputs.
 */
export async function workingTree(config: ResolvedConfig, pipeline: Pipeline, env: NodeJS.ProcessEnv): Promise<WorkingTree> {
  const listed = await projectFilesOf(config, pipeline, env)
  const hasher = new InputHasher(pipeline.projectDir, indexFile('stat', config.cacheDir, pipeline.projectDir, env))
  const files: TreeFile[] = []
  const sources = new Map<string, {file: string; size: number}>()
  for (const input of hasher.hash(listed.files)) {
    const file = path.join(pipeline.projectDir, input.path)
    if (input.mode.startsWith('12')) {
      files.push({path: input.path, type: 'symlink', target: readlinkSync(file)})
      continue
    }
    // A hasher not given git's index names every file by its SHA-256, the digest the server checks.
    if (input.sha256 === undefined) throw new Error(`input ${input.path} has no SHA-256`)
    const {size} = lstatSync(file)
    files.push({path: input.path, type: 'file', mode: parseInt(input.mode, 8) & 0o777, size, sha256: input.sha256})
    sources.set(input.sha256, {file, size})
  }
  hasher.save(listed.files)
  const manifest = Buffer.from(JSON.stringify({format: 1, files, orcaFiles: listed.orcaFiles}))
  return {digest: createHash('sha256').update(manifest).digest('hex'), manifest, files: files.length, sources}
}

/** Sends the server what it lacks of the tree (asked by digest, so unchanged content is never sent again). */
export async function uploadTree(remote: Remote, tree: WorkingTree): Promise<TreeUpload> {
  const digests = [tree.digest, ...tree.sources.keys()]
  const missing: string[] = []
  for (let start = 0; start < digests.length; start += 100_000) {
    missing.push(...(await remoteCall(remote, (client) => client.missingUploads(digests.slice(start, start + 100_000)))))
  }
  let bytes = 0
  if (missing.length > 0) {
    const archive = pack()
    const filling = fill(archive, tree, missing)
    filling.catch((error: unknown) => archive.destroy(error as Error))
    try {
      const stored = await remoteCall(remote, (client) => client.uploadBlobs(Readable.toWeb(Readable.from(archive as AsyncIterable<Buffer>)) as ReadableStream<Uint8Array>))
      bytes = stored.bytes
    } catch (error) {
      // A file that changed between hashing and sending has bytes of another digest.
      if (error instanceof OrcaError && /digest_mismatch|holds bytes of digest/.test(error.message)) {
        throw new OrcaError('usage', `a file of the project changed while it was being sent to ${remote.url}`, {hint: 'run again'})
      }
      throw error
    }
    await filling
  }
  return {tree: tree.digest, files: tree.files, sentFiles: missing.filter((digest) => tree.sources.has(digest)).length, bytes}
}

/** Writes the missing digests into the tar, each named by its digest, one file at a time. */
async function fill(archive: ReturnType<typeof pack>, tree: WorkingTree, missing: readonly string[]): Promise<void> {
  for (const digest of missing) {
    if (digest === tree.digest) {
      archive.entry({name: digest, size: tree.manifest.length, mode: 0o644}, tree.manifest)
      continue
    }
    const source = tree.sources.get(digest)
    if (source === undefined) continue
    const entry = archive.entry({name: digest, size: source.size, mode: 0o644})
    const done = finished(entry)
    createReadStream(source.file).pipe(entry)
    await done
  }
  archive.finalize()
}

/** True when the server no longer holds content the tree needs (dropped by its size cap since it was asked). */
export function lacksUploads(error: unknown): boolean {
  return error instanceof OrcaApiError && error.code === 'blobs_missing'
}
