import {createHash, timingSafeEqual} from 'node:crypto'
import {isIP} from 'node:net'

/** True for addresses only this machine can reach: `localhost`, 127.0.0.0/8, `::1`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (bare === 'localhost') return true
  if (isIP(bare) === 4) return bare.startsWith('127.')
  if (isIP(bare) === 6) return bare === '::1' || bare.startsWith('::ffff:127.')
  return false
}

/**
 * The `Host` header values the server answers to: the loopback names and the bound host, each with
 * the bound port (and bare for port 80). Anything else is a DNS-rebinding attempt or a wrong address.
 */
export function allowedHostHeaders(boundHost: string, port: number, extra: string[] = []): Set<string> {
  const names = new Set(['localhost', '127.0.0.1', '[::1]', hostForUrl(boundHost), ...extra.map(hostForUrl)])
  const allowed = new Set<string>()
  for (const name of names) {
    const lower = name.toLowerCase()
    allowed.add(`${lower}:${port}`)
    if (port === 80) allowed.add(lower)
  }
  return allowed
}

/** `::1` → `[::1]`, as hosts appear in URLs and Host headers. */
export function hostForUrl(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host
}

/** Compares a presented bearer token with the expected one in time independent of where they differ. */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  if (authorization === undefined) return false
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization)
  if (!match) return false
  // Digests have equal length, so timingSafeEqual never throws and the length of the token does not leak.
  const presented = createHash('sha256').update(match[1] as string).digest()
  const expected = createHash('sha256').update(token).digest()
  return timingSafeEqual(presented, expected)
}
