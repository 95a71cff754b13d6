import {createHash} from 'node:crypto'

import {linksOutsideTree} from './links.js'

/** A regular file among a job's artifacts; `path` is as under the job's workdir, `/`-separated. */
export interface ArtifactFileEntry {
  path: string
  type: 'file'
  /** Permission bits (no setuid, setgid or sticky). */
  mode: number
  size: number
  sha256: string
}

/** A symbolic link among a job's artifacts; its target stays inside the artifact tree. */
export interface ArtifactLinkEntry {
  path: string
  type: 'symlink'
  target: string
}

export type ArtifactEntry = ArtifactFileEntry | ArtifactLinkEntry

/** What events and run records say about a job's artifacts instead of listing every file. */
export interface ArtifactSummary {
  count: number
  bytes: number
}

/** Bumped when the manifest's shape changes. */
const MANIFEST_FORMAT = 1
const SHA256 = /^[0-9a-f]{64}$/

/** Raised by `parseArtifactManifest` for a manifest orca did not write or that was changed. */
export class InvalidManifestError extends Error {
  override name = 'InvalidManifestError'
}

/** Sorts entries by path (byte order), the one order manifests are written in. */
export function sortEntries<T extends {path: string}>(entries: T[]): T[] {
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** Count and bytes of a list of entries (links count as entries of no bytes). */
export function summarise(entries: readonly ArtifactEntry[]): ArtifactSummary {
  let bytes = 0
  for (const entry of entries) if (entry.type === 'file') bytes += entry.size
  return {count: entries.length, bytes}
}

/**
 * The manifest file of a job's artifacts: one JSON document, entries sorted by path, fields in a
 * fixed order, so equal artifacts always give equal bytes (and one digest, stored once in the cache).
 */
export function serialiseArtifactManifest(entries: readonly ArtifactEntry[]): string {
  const lines = entries.map((e) =>
    e.type === 'file'
      ? JSON.stringify({path: e.path, type: e.type, mode: e.mode, size: e.size, sha256: e.sha256})
      : JSON.stringify({path: e.path, type: e.type, target: e.target}),
  )
  return `{"format":${MANIFEST_FORMAT},"files":[${lines.length === 0 ? '' : `\n${lines.join(',\n')}\n`}]}\n`
}

/** The digest of a serialised manifest. */
export function manifestDigest(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex')
}

/**
 * Reads a manifest and checks everything a restore relies on: safe relative paths in order without
 * duplicates, nothing stored under a file or a link, modes without special bits, digests, and links
 * that stay inside the tree. Throws InvalidManifestError naming the first problem.
 */
export function parseArtifactManifest(text: string): ArtifactEntry[] {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new InvalidManifestError('the artifact manifest is not valid JSON')
  }
  const files = (data as {format?: unknown; files?: unknown} | null)?.files
  if ((data as {format?: unknown}).format !== MANIFEST_FORMAT || !Array.isArray(files)) {
    throw new InvalidManifestError('the artifact manifest has an unknown format')
  }
  const entries: ArtifactEntry[] = []
  let previous: string | undefined
  for (const raw of files as unknown[]) {
    const entry = checkEntry(raw)
    if (previous !== undefined && !(previous < entry.path)) throw new InvalidManifestError(`artifact "${entry.path}" is out of order or listed twice`)
    previous = entry.path
    entries.push(entry)
  }
  assertTree(entries)
  const outside = linksOutsideTree(entries)
  if (outside.length > 0) throw new InvalidManifestError(`link "${outside[0]!.path}" points outside the artifacts`)
  return entries
}

/** True for a `/`-separated relative path with no empty, `.` or `..` segment, NUL or backslash. */
function isSafeRelativePath(rel: string): boolean {
  if (rel === '' || rel.startsWith('/') || rel.includes('\0') || rel.includes('\\')) return false
  return !rel.split('/').some((s) => s === '' || s === '.' || s === '..')
}

function checkEntry(raw: unknown): ArtifactEntry {
  const e = raw as Record<string, unknown> | null
  if (e === null || typeof e !== 'object' || typeof e.path !== 'string' || !isSafeRelativePath(e.path)) {
    throw new InvalidManifestError(`artifact path ${JSON.stringify(e?.path)} is not a safe relative path`)
  }
  if (e.type === 'file') {
    const ok =
      Number.isInteger(e.mode) && (e.mode as number) >= 0 && (e.mode as number) <= 0o777 &&
      Number.isSafeInteger(e.size) && (e.size as number) >= 0 &&
      typeof e.sha256 === 'string' && SHA256.test(e.sha256)
    if (!ok) throw new InvalidManifestError(`artifact "${e.path}" has a bad mode, size or digest`)
    return {path: e.path, type: 'file', mode: e.mode as number, size: e.size as number, sha256: e.sha256 as string}
  }
  if (e.type === 'symlink') {
    if (typeof e.target !== 'string' || e.target === '' || e.target.includes('\0')) throw new InvalidManifestError(`link "${e.path}" has no target`)
    return {path: e.path, type: 'symlink', target: e.target}
  }
  throw new InvalidManifestError(`artifact "${e.path}" has an unknown type`)
}

/** A file or a link cannot also be a folder holding other entries (InvalidManifestError otherwise). */
export function assertTree(entries: readonly ArtifactEntry[]): void {
  const leaves = new Set(entries.map((e) => e.path))
  for (const entry of entries) {
    for (let slash = entry.path.indexOf('/'); slash !== -1; slash = entry.path.indexOf('/', slash + 1)) {
      if (leaves.has(entry.path.slice(0, slash))) throw new InvalidManifestError(`artifact "${entry.path}" lies under a file or a link`)
    }
  }
}
