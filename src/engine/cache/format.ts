
import {sha256Hex} from '../digest.js'
import {nameTable} from '../name-table.js'

/**
 * Bumped when the key's inputs or the entry layout change, or when the same job would now do
 * something else: old entries are then never read. 2: steps run under `sh -e`; 3: an entry is a
 * manifest and its content is stored by digest; 4: entries and local packs are files of one folder
 * each, not spread over two-character subfolders (a restore into a new cache made a folder for
 * nearly every entry and pack: docs/performance.md, "A fifth round").
 */
export const CACHE_FORMAT = 4

export function sha256(data: string | Uint8Array): string {
  return sha256Hex(data)
}

/** JSON with object keys sorted at every level, so equal values always serialise to equal bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value && typeof value === 'object') {
    // Keys are names from jobs.yml (env, volumes, needs): `__proto__` must be kept as a key, not set the prototype.
    const sorted = nameTable<unknown>()
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key]
      if (v !== undefined) sorted[key] = sortKeys(v)
    }
    return sorted
  }
  return value
}

/** The first characters of a key, as shown to people. */
export function shortKey(key: string): string {
  return key.slice(0, 12)
}
