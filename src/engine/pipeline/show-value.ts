/** Longest rendering of a value in a message. */
export const SHOWN_VALUE_MAX = 60

/**
 * A value as JSON for a message, cut at `max` characters (ending in `...`). Only what is shown is
 * rendered: a 900 KB string or a map of ten thousand keys costs no more than a short one, and a
 * value that contains itself is no error.
 */
export function showValue(value: unknown, max = SHOWN_VALUE_MAX): string {
  let out = ''
  const seen = new Set<object>()
  // Each write says whether there is room for more.
  const write = (text: string): boolean => {
    out += text
    return out.length <= max
  }
  const visit = (item: unknown): boolean => {
    if (typeof item === 'string') return write(JSON.stringify(item.length > max ? item.slice(0, max) : item))
    if (item === null || typeof item !== 'object') return write(JSON.stringify(item) ?? String(item))
    if (seen.has(item)) return write('"[circular]"')
    seen.add(item)
    if (Array.isArray(item)) {
      if (!write('[')) return false
      for (let i = 0; i < item.length; i++) if ((i > 0 && !write(',')) || !visit(item[i])) return false
      return write(']')
    }
    if (!write('{')) return false
    let first = true
    for (const key in item) {
      if (!Object.hasOwn(item, key)) continue
      if ((!first && !write(',')) || !write(`${JSON.stringify(key.length > max ? key.slice(0, max) : key)}:`)) return false
      first = false
      if (!visit((item as Record<string, unknown>)[key])) return false
    }
    return write('}')
  }
  visit(value)
  return out.length > max ? `${out.slice(0, max - 3)}...` : out
}
