import {lstat} from 'node:fs/promises'
import type {FileHandle} from 'node:fs/promises'
import * as path from 'node:path'

import {isExecutable} from '../engine/artifacts/materialise.js'
import {openVerified} from '../engine/artifacts/open-verified.js'
import {CacheStore} from '../engine/cache/store.js'
import {readJobArtifacts, runArtifactFiles} from '../engine/history/artifacts.js'
import {jobRecordOf, type RunRecord} from '../engine/records/record.js'
import {runDir} from '../engine/records/store.js'
import {HttpError} from './http-error.js'

const JOB_NAME = /^[a-z0-9][a-z0-9_-]*$/

/** An artifact as listed by `GET /v1/runs/{id}/artifacts`. */
export interface ArtifactListing {
  job: string
  path: string
  size: number
  sha256: string
  /** Permission bits, as the job left them. */
  mode: number
  /** Where to download it, relative to the server. */
  url: string
}

/** Every artifact file the run's manifests list, in job order (links are not downloads: they are left out). */
export async function listArtifacts(runsDir: string, record: RunRecord): Promise<ArtifactListing[]> {
  return (await runArtifactFiles(runsDir, record)).map(({job, entry}) => {
    const encoded = entry.path.split('/').map(encodeURIComponent).join('/')
    return {job, path: entry.path, size: entry.size, sha256: entry.sha256, mode: entry.mode, url: `/v1/runs/${record.id}/artifacts/${job}/${encoded}`}
  })
}

/** The segments of a requested artifact path; `..`, `.`, empty segments and backslashes are refused. */
function artifactSegments(requested: string): string[] {
  const segments = requested.split('/')
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..' || segment.includes('\\') || segment.includes('\0')) {
      throw new HttpError(400, 'invalid_path', `invalid artifact path ${JSON.stringify(requested)}`)
    }
  }
  return segments
}

/**
 * Opens an artifact file a job's manifest lists: the cache's content under its digest, or else the
 * file in the run's `artifacts/<job>/` (a job that ran keeps a hard link there after the cache is
 * pruned), checked against the digest before a byte is sent. Content changed through a hard link is
 * never served: the request fails (410) and the cache entry is removed. No request path reaches the
 * disk unchecked: it must be one the manifest lists, and no link is followed.
 */
export async function openArtifact(
  runsDir: string,
  cacheDir: string,
  record: RunRecord,
  job: string,
  requested: string,
): Promise<{file: FileHandle; size: number; name: string}> {
  const segments = artifactSegments(requested)
  const notFound = new HttpError(404, 'not_found', `run ${record.id} has no artifact ${job}/${requested}`)
  const jobRecord = JOB_NAME.test(job) ? jobRecordOf(record, job) : undefined
  if (jobRecord === undefined) throw notFound
  const wanted = segments.join('/')
  const entry = (await readJobArtifacts(runsDir, record, job)).find((e) => e.path === wanted)
  if (entry?.type !== 'file') throw notFound
  const cache = new CacheStore(cacheDir)
  const candidates = [
    // A file that landed in a local pack (from a remote cache) is taken out of it first.
    () => cache.blobs.pathFor(entry, isExecutable(entry.mode)),
    () => materialisedPath(path.join(runDir(runsDir, record.id), 'artifacts'), [job, ...segments]),
  ]
  let changed = false
  for (const candidate of candidates) {
    const file = await openVerified(await Promise.resolve().then(candidate).catch(() => undefined), entry)
    if (file === 'changed') changed = true
    else if (file !== undefined) return {file, size: entry.size, name: segments.at(-1) as string}
  }
  if (changed && jobRecord.key) cache.discard(jobRecord.key)
  throw new HttpError(410, 'gone', `artifact ${job}/${requested} is no longer stored as recorded${changed ? ' (it was changed after it was stored)' : ''}: run the job again`)
}

/** The artifact's file under `<run>/artifacts/`, every segment checked with lstat so no link is followed. */
async function materialisedPath(root: string, segments: string[]): Promise<string | undefined> {
  let current = root
  for (const [i, segment] of segments.entries()) {
    current = path.join(current, segment)
    const info = await lstat(current).catch(() => undefined)
    if (!info || info.isSymbolicLink() || (i === segments.length - 1 ? !info.isFile() : !info.isDirectory())) return undefined
  }
  return current
}

const CONTENT_TYPES: Record<string, string> = {
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.json': 'application/json',
  '.html': 'text/html; charset=utf-8',
  '.xml': 'application/xml',
  '.csv': 'text/csv; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.tgz': 'application/gzip',
  '.tar': 'application/x-tar',
  '.wasm': 'application/wasm',
}

/** A content type from the file's extension; unknown kinds download as bytes. */
export function contentTypeFor(name: string): string {
  return CONTENT_TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream'
}
