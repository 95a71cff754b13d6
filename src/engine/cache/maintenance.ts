import {readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import * as path from 'node:path'

import type {CacheStore, EntryMeta} from './store.js'

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
}

/** Temp folders older than this belong to a process that died mid-write. */
const STALE_TEMP_MS = 60 * 60_000

/** Every entry, most recently used first. */
export function listEntries(store: CacheStore): EntrySummary[] {
  const out: EntrySummary[] = []
  const entriesDir = path.join(store.root, 'entries')
  for (const shard of safeReaddir(entriesDir)) {
    for (const key of safeReaddir(path.join(entriesDir, shard))) {
      const file = path.join(entriesDir, shard, key, 'entry.json')
      let meta: Partial<EntryMeta> = {}
      let lastUsed: Date
      try {
        lastUsed = statSync(file).mtime
        meta = JSON.parse(readFileSync(file, 'utf8')) as EntryMeta
      } catch {
        // Damaged: listed with what is known, so prune and clear can remove it.
        lastUsed = new Date(0)
      }
      out.push({
        key,
        job: meta.job ?? null,
        runId: meta.runId ?? null,
        projectDir: meta.projectDir ?? null,
        createdAt: meta.createdAt ?? null,
        lastUsedAt: lastUsed.toISOString(),
        size: typeof meta.size === 'number' ? meta.size : 0,
      })
    }
  }
  return out.sort((a, b) => (a.lastUsedAt < b.lastUsedAt ? 1 : a.lastUsedAt > b.lastUsedAt ? -1 : 0))
}

/** Removes least recently used entries until the cache fits in maxBytes; returns what was removed. */
export function pruneCache(store: CacheStore, maxBytes: number): EntrySummary[] {
  removeStaleTemp(store)
  const entries = listEntries(store)
  let total = entries.reduce((n, e) => n + e.size, 0)
  const removed: EntrySummary[] = []
  for (const entry of [...entries].reverse()) {
    if (total <= maxBytes && entry.job !== null) continue
    store.discard(entry.key)
    total -= entry.size
    removed.push(entry)
  }
  return removed
}

/** Removes every entry (and the stat indexes and last-key records); returns how many entries there were. */
export function clearCache(store: CacheStore): number {
  const count = listEntries(store).length
  rmSync(store.root, {recursive: true, force: true})
  return count
}

function removeStaleTemp(store: CacheStore): void {
  const now = Date.now()
  for (const name of safeReaddir(store.tmpDir)) {
    const dir = path.join(store.tmpDir, name)
    try {
      if (now - statSync(dir).mtimeMs > STALE_TEMP_MS) rmSync(dir, {recursive: true, force: true})
    } catch {
      // Gone already.
    }
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
