import {maskedValues, SECRET_MASK} from '../engine/run/masker.js'

/**
 * Masks secret values in everything a tool or resource returns: the strings of a JSON value, and
 * windows cut out of a longer text, where a secret the window's edge cuts in two is masked too (so
 * reading a file piece by piece never shows one half here and the other half there).
 */
export class Redactor {
  /** Longest first, as the run's own masker matches them. */
  private readonly values: string[]

  constructor(secrets: Iterable<string>) {
    this.values = maskedValues(secrets).sort((a, b) => b.length - a.length)
  }

  /** How many characters a window must read past its edges to see a secret it cuts. */
  get reach(): number {
    return this.values[0]?.length ?? 0
  }

  text(text: string): string {
    return this.window(text, 0, text.length)
  }

  /** A copy of a JSON-like value with every string value masked (object keys are names: kept). */
  json<T>(value: T): T {
    if (this.values.length === 0) return value
    return this.deep(value) as T
  }

  /**
   * `text.slice(from, to)` with every occurrence of a secret that overlaps it replaced by `***`,
   * including one that starts before `from` or ends after `to`.
   */
  window(text: string, from: number, to: number): string {
    if (this.values.length === 0) return text.slice(from, to)
    let out = ''
    let shown = from
    for (const [start, end] of secretRanges(text, this.values)) {
      if (end <= from || start >= to) continue
      out += text.slice(shown, Math.max(start, from)) + SECRET_MASK
      shown = Math.min(end, to)
    }
    return out + text.slice(shown, to)
  }

  private deep(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value)
    if (Array.isArray(value)) return value.map((item) => this.deep(item))
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.deep(item)]))
    }
    return value
  }
}

/** Where secrets occur in `text`, overlapping occurrences merged: every one is masked, whichever matched first. */
function secretRanges(text: string, values: string[]): Array<[number, number]> {
  const found: Array<[number, number]> = []
  for (const value of values) {
    for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + 1)) found.push([at, at + value.length])
  }
  found.sort((a, b) => a[0] - b[0])
  const merged: Array<[number, number]> = []
  for (const range of found) {
    const last = merged.at(-1)
    if (last !== undefined && range[0] < last[1]) last[1] = Math.max(last[1], range[1])
    else merged.push([range[0], range[1]])
  }
  return merged
}
