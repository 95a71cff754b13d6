/**
 * Ways to spell a request target so that a router which decodes, normalises or ignores parts of it
 * might still land on `path`: percent-escapes of each character (either case of hex), double
 * escapes, dot segments, doubled slashes, case, absolute form, trailing slashes, `;` parameters,
 * `?` and `#`, backslashes, NUL, overlong UTF-8 and overlong targets. Each is sent as is.
 */
export function spellingsOf(path: string, port: number): string[] {
  const out = new Set<string>([path])
  const hex = (c: string): string => Buffer.from(c).toString('hex').replace(/../g, '%$&')
  for (let i = 1; i < path.length; i++) {
    const [before, c, after] = [path.slice(0, i), path[i]!, path.slice(i + 1)]
    out.add(before + hex(c).toUpperCase() + after)
    out.add(before + hex(c).toLowerCase() + after)
    out.add(before + hex(c).replace('%', '%25') + after)
    if (c === '/') {
      out.add(`${before}//${after}`)
      out.add(`${before}/./${after}`)
      out.add(`${before}/%2e/${after}`)
      out.add(`${before}/x/../${after}`)
      out.add(`${before}/x/%2e%2e/${after}`)
      out.add(`${before}/x/%2E%2E%2F${after}`)
      out.add(`${before};x/${after}`)
      out.add(`${before}\\${after}`)
      out.add(`${before}%C0%AF${after}`)
    }
  }
  const escapedAll = path.split('/').map((segment) => [...segment].map(hex).join('')).join('/')
  const segments = path.split('/')
  for (const variant of [
    escapedAll,
    escapedAll.toLowerCase(),
    path.toUpperCase(),
    segments.map((s) => s.slice(0, 1).toUpperCase() + s.slice(1)).join('/'),
    `/${path}`,
    `${path}/`,
    `${path}//`,
    `${path}/.`,
    `${path}/%2e`,
    `${path}/x/..`,
    `${path};`,
    `${path};a=b`,
    `${path}?`,
    `${path}?a=b`,
    `${path}#`,
    `${path}#a`,
    `${path}%3F`,
    `${path}%23`,
    `${path}%00`,
    `${path}%20`,
    `${path}.`,
    path.replaceAll('/', '\\'),
    path.replaceAll('/', '%5C'),
    path.replace('v', '%EF%BD%96'),
    `http://127.0.0.1:${port}${path}`,
    `HTTP://127.0.0.1:${port}${path}`,
    `http://localhost:${port}${path}`,
    `http://evil.example${path}`,
    `https://127.0.0.1:${port}${path}`,
    `http://user:pass@127.0.0.1:${port}${path}`,
    `//127.0.0.1:${port}${path}`,
    `*${path}`,
    `${path}/${'a'.repeat(200)}`,
    `${path}/${'a'.repeat(8000)}`,
    `${path}?${'a'.repeat(8000)}`,
    `${path}/${'a'.repeat(20_000)}`,
    `${'/.'.repeat(2000)}${path}`,
    `${path}${'/'.repeat(4000)}`,
  ]) {
    out.add(variant)
  }
  return [...out]
}

/** A concrete path for a route pattern, with each parameter filled from `values` (a missing one throws, so a new parameter is never skipped). */
export function fillRoute(pattern: string, values: Record<string, string>): string {
  return pattern.replace(/:(\w+)|\*/g, (whole, name: string | undefined) => {
    const value = values[name ?? '*']
    if (value === undefined) throw new Error(`no test value for parameter ${whole} of ${pattern}`)
    return value
  })
}
