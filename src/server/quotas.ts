import type {FastifyRequest} from 'fastify'

import type {ServeLimits} from '../engine/config/types.js'
import {OPEN_PRINCIPAL} from './auth/authorize.js'
import {HttpError} from './http-error.js'

/** What quotas count apart: executions, and the sandboxes of `/v1/sandboxes`. */
export type QuotaKind = 'execute' | 'sandbox'

/** A slot taken by `Quotas.acquire`; `release` frees it and charges the CPU-seconds used. */
export interface QuotaLease {
  release(cpuSeconds: number): void
}

const HOUR_MS = 3_600_000
const NOUNS: Record<QuotaKind, [one: string, many: string]> = {execute: ['execution', 'executions'], sandbox: ['sandbox', 'sandboxes']}

/**
 * Per-key concurrency caps and CPU-second quotas (a sliding hour) for executions and sandboxes.
 * A refusal is a 429 with Retry-After: when a slot may be free, or when enough of the hour's charges
 * have aged out.
 */
export class Quotas {
  private readonly running = new Map<string, number>()
  private readonly charges = new Map<string, Array<{at: number; seconds: number}>>()

  constructor(
    private readonly limits: ServeLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Takes one slot of `kind` for the key, or throws the 429 that says when to come back
   * (`slotFreeInSeconds`: when one of the key's slots is expected to free, if the caller knows).
   */
  acquire(keyId: string, kind: QuotaKind, slotFreeInSeconds = 1): QuotaLease {
    const used = this.usedSeconds(keyId)
    if (used >= this.limits.cpuSecondsPerHour) {
      throw tooMany('cpu_quota_exceeded', `this key used ${used.toFixed(1)} of its ${this.limits.cpuSecondsPerHour} CPU-seconds in the last hour`, this.secondsUntilBelowQuota(keyId))
    }
    const running = this.running.get(`${kind}:${keyId}`) ?? 0
    if (running >= this.limits.concurrency) {
      throw tooMany('too_many_concurrent', `this key has ${running} ${NOUNS[kind][running === 1 ? 0 : 1]} running, the most it may have at once`, Math.max(1, Math.ceil(slotFreeInSeconds)))
    }
    return this.hold(keyId, kind)
  }

  /**
   * Takes a slot without checking the caps: for what exists already and must be counted (a sandbox a
   * restarted server finds again), even past a cap lowered meanwhile.
   */
  hold(keyId: string, kind: QuotaKind): QuotaLease {
    const slot = `${kind}:${keyId}`
    this.running.set(slot, (this.running.get(slot) ?? 0) + 1)
    let released = false
    return {
      release: (cpuSeconds) => {
        if (released) return
        released = true
        const left = (this.running.get(slot) ?? 1) - 1
        if (left === 0) this.running.delete(slot)
        else this.running.set(slot, left)
        const list = this.charges.get(keyId) ?? []
        list.push({at: this.now(), seconds: cpuSeconds})
        this.charges.set(keyId, list)
      },
    }
  }

  /** CPU-seconds the key was charged in the last hour. */
  usedSeconds(keyId: string): number {
    const since = this.now() - HOUR_MS
    const list = (this.charges.get(keyId) ?? []).filter((charge) => charge.at > since)
    this.charges.set(keyId, list)
    return list.reduce((sum, charge) => sum + charge.seconds, 0)
  }

  private secondsUntilBelowQuota(keyId: string): number {
    let used = this.usedSeconds(keyId)
    for (const charge of this.charges.get(keyId) ?? []) {
      used -= charge.seconds
      if (used < this.limits.cpuSecondsPerHour) return Math.max(1, Math.ceil((charge.at + HOUR_MS - this.now()) / 1000))
    }
    return 1
  }
}

/** Whom a request's limits and quotas count against: its key, or its address on a server without keys. */
export function limitKeyOf(request: FastifyRequest): string {
  const {principal} = request
  return principal === undefined || principal.id === OPEN_PRINCIPAL.id ? `address:${request.ip}` : `key:${principal.id}`
}

function tooMany(code: string, message: string, retryAfterSeconds: number): HttpError {
  return new HttpError(429, code, message, {headers: {'retry-after': String(retryAfterSeconds)}})
}
