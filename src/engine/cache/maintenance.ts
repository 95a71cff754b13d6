import {lstatSync, readdirSync, rmSync} from 'node:fs'
import * as path from 'node:path'

import {parseArtifactManifest} from '../artifacts/manifest.js'
import {isExecutable} from '../artifacts/materialise.js'
import {CACHE_FORMAT} from './format.js'
import {parseEntry, type CacheStore, type EntryMeta, type StoredReports} from './store.js'
import {parseVolumeEntry, VolumeStore, type VolumeMeta} from './volume-store.js'

/** One entry as `orca cache ls` shows it. */
export interface EntrySummary {
  key: string
  job: string | null
  runId: string | null
  projectDir: string | null
  createdAt: string | null
  /** Last time a run restored or stored it (LRU order). */
  lastUsedAt: string
  size: number
  /** A keyed volume's entry: the volume's name (`job` is then null). */
  volume?: string
}

/** Temp files and unreferenced blobs older than this belong to no live writer. */
const STALE_MS = 60 * 60_000
const ENTRY_FILE = /^([0-9a-f]{64})\.json$/

/** Every entry, keyed volumes' included, most recently used first. */
export function listEntries(store: CacheStore): EntrySummary[] {
  const jobs = entriesOf(store).map(({key, meta, lastUsed}) => ({
    key,
    job: meta?.job ?? null,
    runId: meta?.runId ?? null,
    projectDir: meta?.projectDir ?? null,
    createdAt: meta?.createdAt ?? null,
    lastUsedAt: lastUsed.toISOString(),
    size: typeof meta?.size === 'number' ? meta.size : 0,
  }))
  const volumes = volumeEntriesOf(store).map(({key, meta, lastUsed}) => ({
    key,
    job: null,
    runId: meta?.runId ?? null,
    projectDir: meta?.projectDir ?? null,
    createdAt: meta?.createdAt ?? null,
    lastUsedAt: lastUsed.toISOString(),
    size: meta?.tar.size ?? 0,
    ...(meta ? {volume: meta.volume} : {}),
  }))
  return [...jobs, ...volumes].sort((a, b) => (a.lastUsedAt < b.lastUsedAt ? 1 : a.lastUsedAt > b.lastUsedAt ? -1 : 0))
}

/**
 * Removes least recently used entries until the cache fits in maxBytes, then the blobs no entry
 * refers to any more; returns the entries removed.
 */
export function pruneCache(store: CacheStore, maxBytes: number): EntrySummary[] {
  removeStale(store.tmpDir, () => true)
  const entries = listEntries(store)
  let total = entries.reduce((n, e) => n + e.size, 0)
  const removed: EntrySummary[] = []
  const volumes = new VolumeStore(store)
  for (const entry of [...entries].reverse()) {
    // A damaged entry (neither a job's nor a volume's) goes whatever the size.
    if (total <= maxBytes && (entry.job !== null || entry.volume !== undefined)) continue
    if (entry.job !== null || !isVolumeFile(store, entry.key)) store.discard(entry.key)
    else volumes.discard(entry.key)
    total -= entry.size
    removed.push(entry)
  }
  if (removed.length > 0) collectGarbage(store)
  return removed
}

/**
 * Removes every entry and blob (and the stat indexes and last-key records), and the folders of the
 * cache's earlier formats beside it (`v1/` to `v<CACHE_FORMAT - 1>/`, never read again); returns how
 * many entries there were.
 */
export function clearCache(store: CacheStore): number {
  const count = listEntries(store).length
  rmSync(store.root, {recursive: true, force: true})
  for (const name of safeReaddir(path.dirname(store.root))) {
    const format = /^v([1-9][0-9]*)$/.exec(name)?.[1]
    if (format !== undefined && Number(format) < CACHE_FORMAT) rmSync(path.join(path.dirname(store.root), name), {recursive: true, force: true})
  }
  return count
}

/**
 * Removes blobs that no entry refers to, once they are old enough that no writer can be about to
 * publish an entry naming them (writers touch a blob they reuse). A run directory that shares a blob
 * through a hard link keeps its copy: removing a name does not remove the other links.
 */
export function collectGarbage(store: CacheStore): number {
  const live = new Set<string>()
  const keep = (sha256: string, executable = false): void => void live.add(executable ? `${sha256}-x` : sha256)
  for (const {meta} of entriesOf(store)) {
    if (meta === undefined) continue
    for (const ref of [meta.artifacts.manifest, meta.output, meta.keyManifest, ...(meta.reports ? [meta.reports] : [])]) keep(ref.sha256)
    try {
      // A report's files are blobs too: kept while an entry's reports name them.
      if (meta.reports) for (const file of (JSON.parse(store.blobs.readVerified(meta.reports).toString('utf8')) as StoredReports).files) {
        if (file.type === 'file') keep(file.sha256, isExecutable(file.mode))
      }
    } catch {
      // As below: a damaged entry's blobs are not kept for it.
    }
    try {
      for (const file of parseArtifactManifest(store.blobs.readVerified(meta.artifacts.manifest).toString('utf8'))) {
        if (file.type === 'file') keep(file.sha256, isExecutable(file.mode))
      }
    } catch {
      // A damaged entry is a miss when read; its blobs are not worth keeping for it.
    }
  }
  for (const {meta} of volumeEntriesOf(store)) if (meta) keep(meta.tar.sha256)
  let removed = 0
  for (const shard of safeReaddir(store.blobs.dir)) {
    removed += removeStale(path.join(store.blobs.dir, shard), (name) => !live.has(name))
  }
  // A local pack goes once no entry names any of its members (a damaged one lists none).
  for (const pack of store.blobs.packFiles()) {
    if (pack.members.some((m) => live.has(m.sha256) || live.has(`${m.sha256}-x`))) continue
    removed += removeStale(path.dirname(pack.file), (name) => name === path.basename(pack.file))
  }
  return removed
}

function entriesOf(store: CacheStore): Array<{key: string; meta: EntryMeta | undefined; lastUsed: Date}> {
  const out: Array<{key: string; meta: EntryMeta | undefined; lastUsed: Date}> = []
  for (const name of safeReaddir(store.entriesDir)) {
    const key = ENTRY_FILE.exec(name)?.[1]
    if (key === undefined) continue
    try {
      const lastUsed = lstatSync(store.entryFile(key)).mtime
      const read = store.readManifestFile(key)
      out.push({key, meta: read === undefined ? undefined : parseEntry(read, key), lastUsed})
    } catch {
      // Damaged: listed with what is known, so prune and clear can remove it.
      out.push({key, meta: undefined, lastUsed: new Date(0)})
    }
  }
  return out
}

/** Keyed volumes' entries (`volumes/<ab>/<key>.json`), read as `entriesOf` reads job entries. */
function volumeEntriesOf(store: CacheStore): Array<{key: string; meta: VolumeMeta | undefined; lastUsed: Date}> {
  const volumes = new VolumeStore(store)
  const out: Array<{key: string; meta: VolumeMeta | undefined; lastUsed: Date}> = []
  for (const shard of safeReaddir(volumes.dir)) {
    for (const name of safeReaddir(path.join(volumes.dir, shard))) {
      const key = ENTRY_FILE.exec(name)?.[1]
      if (key === undefined) continue
      try {
        const lastUsed = lstatSync(volumes.entryFile(key)).mtime
        const read = volumes.readManifestFile(key)
        out.push({key, meta: read === undefined ? undefined : parseVolumeEntry(read, key), lastUsed})
      } catch {
        out.push({key, meta: undefined, lastUsed: new Date(0)})
      }
    }
  }
  return out
}

/** Whether a key's file is a keyed volume's (a damaged entry has no name to tell it by). */
function isVolumeFile(store: CacheStore, key: string): boolean {
  try {
    return lstatSync(new VolumeStore(store).entryFile(key)).isFile()
  } catch {
    return false
  }
}

/** Removes the files of `dir` older than STALE_MS that `select` picks; returns how many. Never through a link. */
function removeStale(dir: string, select: (name: string) => boolean): number {
  try {
    if (!lstatSync(dir).isDirectory()) return 0
  } catch {
    return 0
  }
  const now = Date.now()
  let removed = 0
  for (const name of safeReaddir(dir)) {
    if (!select(name)) continue
    const file = path.join(dir, name)
    try {
      if (now - lstatSync(file).mtimeMs > STALE_MS) {
        rmSync(file, {recursive: true, force: true})
        removed++
      }
    } catch {
      // Gone already.
    }
  }
  return removed
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
