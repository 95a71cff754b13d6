import {createHash} from 'node:crypto'

import {HttpError} from './http-error.js'

/** Keys remembered for the server's life, oldest forgotten first past this many. */
const MAX_KEYS = 10_000

/**
 * `Idempotency-Key` bookkeeping: the first request with a key does the work; a retry with the same
 * key and body gets the same result (even while the first is still in flight); the same key with a
 * different body is refused. Failed attempts are forgotten so a retry can succeed.
 */
export class IdempotencyKeys<T> {
  private readonly entries = new Map<string, {fingerprint: string; result: Promise<T>}>()

  async run(key: string | undefined, body: unknown, work: () => Promise<T>): Promise<{result: T; replayed: boolean}> {
    if (key === undefined) return {result: await work(), replayed: false}
    if (key.length === 0 || key.length > 255) throw new HttpError(400, 'invalid_request', 'Idempotency-Key must be 1 to 255 characters')
    const fingerprint = fingerprintOf(body)
    const known = this.entries.get(key)
    if (known) {
      if (known.fingerprint !== fingerprint) {
        throw new HttpError(422, 'idempotency_key_reused', `Idempotency-Key ${JSON.stringify(key)} was used with a different request body`)
      }
      return {result: await known.result, replayed: true}
    }
    const result = work()
    this.entries.set(key, {fingerprint, result})
    if (this.entries.size > MAX_KEYS) this.entries.delete(this.entries.keys().next().value as string)
    try {
      return {result: await result, replayed: false}
    } catch (error) {
      this.entries.delete(key)
      throw error
    }
  }
}

/** SHA-256 of the body as canonical JSON (keys sorted), so key order does not make bodies differ. */
export function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex')
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}
