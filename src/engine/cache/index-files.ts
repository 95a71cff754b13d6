import {rmSync} from 'node:fs'
import * as path from 'node:path'

import {CACHE_FORMAT, sha256} from './format.js'

/*
 * orca's derived records live under `<cacheDir>/v<CACHE_FORMAT>/index/`: each only spares a run
 * work it would otherwise repeat, never decides a result (docs/caching.md, "Derived records"). They
 * share one story: every record carries INDEX_FORMAT (../index-format.ts) and is keyed by what it
 * was computed from; a record that is missing, damaged, of another format or whose key no longer
 * matches is ignored and written again; every write is a temp file and a rename.
 */

/** The derived records, by the name `ORCA_NO_INDEX` knows them by. */
export type IndexKind = 'stat' | 'listing' | 'git' | 'parsed'

/** File name of each per-project record under `index/<project>/`. */
const PROJECT_FILES: Record<Exclude<IndexKind, 'parsed'>, string> = {stat: 'stat.idx', listing: 'listing.json', git: 'git.json'}

/** Where the records of earlier releases lived, under `v<CACHE_FORMAT>/`: removed when the index folder is created. */
const LEGACY_DIRS = ['stat', 'listing', 'parsed']

function indexDir(cacheDir: string): string {
  return path.join(cacheDir, `v${CACHE_FORMAT}`, 'index')
}

function projectSlot(projectDir: string): string {
  return sha256(projectDir).slice(0, 24)
}

/**
 * The file of a project's record of `kind`; undefined when `ORCA_NO_INDEX` (a comma-separated list
 * of kinds, or `all`) turns it off, so a run neither reads nor writes it: the keys are the same,
 * only slower to compute (a way to rule a record out, and how each one's gain is measured).
 */
export function indexFile(kind: Exclude<IndexKind, 'parsed'>, cacheDir: string, projectDir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!indexEnabled(kind, env)) return undefined
  return path.join(indexDir(cacheDir), projectSlot(projectDir), PROJECT_FILES[kind])
}

/** The folder of parsed jobs files (one record per jobs file), or undefined when turned off. */
export function parsedPipelinesIndex(cacheDir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return indexEnabled('parsed', env) ? path.join(indexDir(cacheDir), 'parsed') : undefined
}

function indexEnabled(kind: IndexKind, env: NodeJS.ProcessEnv): boolean {
  const off = env.ORCA_NO_INDEX
  if (!off) return true
  const kinds = off.split(',').map((k) => k.trim())
  return !(kinds.includes('all') || kinds.includes(kind))
}

/** Removes the folders where earlier releases kept these records (best effort; they are only dead weight). */
export function removeLegacyIndexes(cacheDir: string): void {
  for (const name of LEGACY_DIRS) {
    try {
      rmSync(path.join(cacheDir, `v${CACHE_FORMAT}`, name), {recursive: true, force: true})
    } catch {
      // Another process removed it, or a read-only disk: it stays until `orca cache clear`.
    }
  }
}
