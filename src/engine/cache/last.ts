import {readFileSync} from 'node:fs'
import * as path from 'node:path'

import {replaceFile} from '../atomic-file.js'
import {sha256} from './format.js'
import {indexFile, parsedPipelinesIndex} from './index-files.js'
import type {KeyManifest} from './key.js'
import type {CacheStore} from './store.js'

/** The last key a job of a project was cached under, with what it covered (for `orca explain`). */
export interface LastCached {
  key: string
  runId: string
  createdAt: string
  manifest: KeyManifest
}

function projectSlot(projectDir: string): string {
  return sha256(projectDir).slice(0, 24)
}

// The derived records (see index-files.ts); undefined where ORCA_NO_INDEX turns one off.

/** Where parsed jobs files are remembered (see ParsedPipelineCache). */
export function parsedPipelinesDir(cacheDir: string): string | undefined {
  return parsedPipelinesIndex(cacheDir)
}

/** Where the listing of a project's directories is remembered (see ListingCache). */
export function listingCacheFile(cacheDir: string, projectDir: string): string | undefined {
  return indexFile('listing', cacheDir, projectDir)
}

/** Where git's last listing of a project is remembered (see cachedGitListing). */
export function gitListingCacheFile(cacheDir: string, projectDir: string): string | undefined {
  return indexFile('git', cacheDir, projectDir)
}

/** Where the stat index of a project lives. */
export function statIndexFile(store: CacheStore, projectDir: string): string | undefined {
  return indexFile('stat', store.dir, projectDir)
}

function lastFile(store: CacheStore, projectDir: string, job: string): string {
  return path.join(store.root, 'last', projectSlot(projectDir), `${job}.json`)
}

/** Records the job's newest cached key (kept even when the entry itself is pruned later). */
export function writeLast(store: CacheStore, projectDir: string, job: string, last: LastCached): void {
  replaceFile(lastFile(store, projectDir, job), JSON.stringify(last), {createDir: true})
}

export function readLast(store: CacheStore, projectDir: string, job: string): LastCached | undefined {
  try {
    const last = JSON.parse(readFileSync(lastFile(store, projectDir, job), 'utf8')) as LastCached
    return typeof last.key === 'string' && last.manifest ? last : undefined
  } catch {
    return undefined
  }
}
