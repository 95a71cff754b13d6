import {createHmac, timingSafeEqual} from 'node:crypto'

/** The header a delivery is signed in: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'orca-signature'

/** Signs a body at a time, as GitHub and Stripe do: the timestamp is inside the MAC, so a replay shows its age. */
export function signPayload(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`
}

/**
 * What a receiver does (docs/serve.md has the same in a few lines): recompute the MAC over the
 * header's timestamp and the raw body, compare in constant time, refuse a timestamp older than the tolerance.
 */
export function verifySignature(header: string | undefined, body: string, secret: string, options: {toleranceSeconds?: number; nowSeconds?: number} = {}): boolean {
  const parts = new Map((header ?? '').split(',').map((part) => part.split('=', 2) as [string, string]))
  const t = Number(parts.get('t'))
  const v1 = parts.get('v1')
  if (!Number.isInteger(t) || v1 === undefined || !/^[0-9a-f]{64}$/.test(v1)) return false
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000)
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return false
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest()
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'))
}
