import {constants} from 'node:fs'
import {lstat, open} from 'node:fs/promises'
import type {FileHandle} from 'node:fs/promises'
import * as path from 'node:path'

import {jobRecordOf, type RunRecord} from '../engine/records/record.js'
import {HttpError} from './http-error.js'

const JOB_NAME = /^[a-z0-9][a-z0-9_-]*$/

/** An artifact as listed by `GET /v1/runs/{id}/artifacts`. */
export interface ArtifactEntry {
  job: string
  path: string
  size: number
  sha256: string
  /** Where to download it, relative to the server. */
  url: string
}

/** Every artifact the run record lists, in job order. */
export function listArtifacts(record: RunRecord): ArtifactEntry[] {
  const entries: ArtifactEntry[] = []
  for (const [job, jobRecord] of Object.entries(record.jobs)) {
    for (const artifact of jobRecord.artifacts) {
      const encoded = artifact.path.split('/').map(encodeURIComponent).join('/')
      entries.push({job, ...artifact, url: `/v1/runs/${record.id}/artifacts/${job}/${encoded}`})
    }
  }
  return entries
}

/** The segments of a requested artifact path; `..`, `.`, empty segments and backslashes are refused. */
export function artifactSegments(requested: string): string[] {
  const segments = requested.split('/')
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..' || segment.includes('\\') || segment.includes('\0')) {
      throw new HttpError(400, 'invalid_path', `invalid artifact path ${JSON.stringify(requested)}`)
    }
  }
  return segments
}

/**
 * Opens an artifact the record lists, under `<runDir>/artifacts/<job>/`, checking every segment with
 * `lstat` so no symlink is followed (and opening the file itself with O_NOFOLLOW).
 */
export async function openArtifact(dir: string, record: RunRecord, job: string, requested: string): Promise<{file: FileHandle; size: number; name: string}> {
  const segments = artifactSegments(requested)
  const notFound = new HttpError(404, 'not_found', `run ${record.id} has no artifact ${job}/${requested}`)
  if (!JOB_NAME.test(job)) throw notFound
  const listed = jobRecordOf(record, job)?.artifacts.some((a) => a.path === segments.join('/'))
  if (!listed) throw notFound

  let current = path.join(dir, 'artifacts')
  for (const [i, segment] of [job, ...segments].entries()) {
    current = path.join(current, segment)
    const last = i === segments.length
    const info = await lstat(current).catch(() => undefined)
    if (!info || info.isSymbolicLink() || (last ? !info.isFile() : !info.isDirectory())) throw notFound
  }
  let file: FileHandle
  try {
    file = await open(current, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch {
    throw notFound
  }
  const info = await file.stat()
  if (!info.isFile()) {
    await file.close()
    throw notFound
  }
  return {file, size: info.size, name: segments.at(-1) as string}
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
