import * as crypto from 'node:crypto'

/**
 * Node.js 20.12+ and 22+ hash a buffer in one call, with no Hash object (a stream) made per input:
 * 2-5x faster for the small files that most inputs and artifacts are (docs/performance.md, "Hashing on
 * a fresh runner"). Node.js 20.11 has none: the Hash object then, which gives the same digest.
 */
const oneShot = (crypto as {hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string}).hash

/** SHA-256 of `data` (a string as UTF-8), in hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return oneShot === undefined ? crypto.createHash('sha256').update(data).digest('hex') : oneShot('sha256', data, 'hex')
}

