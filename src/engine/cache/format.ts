import {createHash} from 'node:crypto'

/** Bumped when the key's inputs or the entry layout change: old entries are then never read (3: manifests and content by digest). */
export const CACHE_FORMAT = 3

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/** JSON with object keys sorted at every level, so equal values always serialise to equal bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value && typeof value === 'object') {
    const sorted: Record<string, unknown> = {}
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
