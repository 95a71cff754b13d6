import {randomUUID} from 'node:crypto'

import type {WebhookConfig} from '../../engine/config/types.js'
import {OrcaError} from '../../engine/errors.js'
import {SIGNATURE_HEADER, signPayload} from './signature.js'

export type WebhookEvent = WebhookConfig['events'][number]

/** One try at sending a delivery. */
export interface DeliveryAttempt {
  at: string
  /** The endpoint's status code; absent when no answer came (`error` says why). */
  status?: number
  error?: string
  durationMs: number
}

/** One event on its way to one endpoint, with every attempt so far. */
export interface Delivery {
  id: string
  event: WebhookEvent
  url: string
  state: 'pending' | 'delivered' | 'failed'
  attempts: DeliveryAttempt[]
  /** When the next attempt is due, while pending. */
  nextAttemptAt?: string
}

/** Longest wait between two attempts, whatever the backoff doubles to. */
export const MAX_BACKOFF_MS = 10 * 60_000
/** Deliveries remembered for `GET /v1/webhooks/deliveries`, newest kept. */
const KEPT_DELIVERIES = 1000

/** The wait before retry number `retry` (1 for the first): `backoffMs` doubled each time, at most 10 minutes. */
export function backoffDelay(retry: number, backoffMs: number): number {
  return Math.min(backoffMs * 2 ** (retry - 1), MAX_BACKOFF_MS)
}

interface Endpoint extends WebhookConfig {
  signingSecret: string
}

/**
 * Sends events to the configured endpoints as signed JSON POSTs, in the background, retrying each
 * failed attempt (no answer, or a status other than 2xx) with exponential backoff. Never throws at
 * the caller: a delivery's fate is in `deliveries()`.
 */
export class Webhooks {
  private readonly endpoints: Endpoint[]
  private readonly kept: Delivery[] = []
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly inFlight = new Set<Promise<void>>()
  private closed = false

  constructor(configs: WebhookConfig[], env: NodeJS.ProcessEnv) {
    this.endpoints = configs.map((config, index) => {
      const secret = config.secret ?? (config.secretEnv === undefined ? undefined : env[config.secretEnv])
      if (secret === undefined || secret.length < 16) {
        throw new OrcaError('config', `serve.webhooks[${index}]: ${config.secretEnv ? `${config.secretEnv} is ${secret === undefined ? 'not set' : 'shorter than 16 characters'}` : 'no secret'}; each webhook needs a signing secret of 16 characters at least`)
      }
      return {...config, signingSecret: secret}
    })
  }

  /** Queues `event` for every endpoint that subscribed to it; returns the deliveries made. */
  deliver(event: WebhookEvent, data: unknown): Delivery[] {
    if (this.closed) return []
    const made: Delivery[] = []
    for (const endpoint of this.endpoints.filter((e) => e.events.includes(event))) {
      const delivery: Delivery = {id: randomUUID(), event, url: endpoint.url, state: 'pending', attempts: []}
      const body = JSON.stringify({id: delivery.id, type: event, created: new Date().toISOString(), data})
      this.kept.push(delivery)
      if (this.kept.length > KEPT_DELIVERIES) this.kept.splice(0, this.kept.length - KEPT_DELIVERIES)
      made.push(delivery)
      this.attempt(endpoint, delivery, body)
    }
    return made
  }

  /** Every delivery remembered, newest first. */
  deliveries(): Delivery[] {
    return [...this.kept].reverse()
  }

  /** Stops retrying and waits for attempts in flight (pending deliveries stay pending). */
  async close(): Promise<void> {
    this.closed = true
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    await Promise.allSettled([...this.inFlight])
  }

  private attempt(endpoint: Endpoint, delivery: Delivery, body: string): void {
    const sending = this.send(endpoint, delivery, body).finally(() => this.inFlight.delete(sending))
    this.inFlight.add(sending)
  }

  private async send(endpoint: Endpoint, delivery: Delivery, body: string): Promise<void> {
    const started = Date.now()
    const attempt: DeliveryAttempt = {at: new Date(started).toISOString(), durationMs: 0}
    try {
      const response = await fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'orca-webhooks',
          'orca-event': delivery.event,
          'orca-delivery': delivery.id,
          // Signed afresh for each attempt: the timestamp says when this attempt was sent.
          [SIGNATURE_HEADER]: signPayload(endpoint.signingSecret, body, Math.floor(started / 1000)),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(endpoint.timeoutMs),
      })
      attempt.status = response.status
      await response.body?.cancel()
    } catch (error) {
      attempt.error = (error as Error).name === 'TimeoutError' ? `no answer within ${endpoint.timeoutMs} ms` : ((error as Error & {cause?: Error}).cause?.message ?? (error as Error).message)
    }
    attempt.durationMs = Date.now() - started
    delivery.attempts.push(attempt)
    if (attempt.status !== undefined && attempt.status >= 200 && attempt.status < 300) {
      delivery.state = 'delivered'
      delete delivery.nextAttemptAt
      return
    }
    const retry = delivery.attempts.length
    if (retry > endpoint.retries || this.closed) {
      delivery.state = this.closed && retry <= endpoint.retries ? 'pending' : 'failed'
      delete delivery.nextAttemptAt
      return
    }
    const wait = backoffDelay(retry, endpoint.backoffMs)
    delivery.nextAttemptAt = new Date(Date.now() + wait).toISOString()
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      this.attempt(endpoint, delivery, body)
    }, wait)
    timer.unref()
    this.timers.add(timer)
  }
}
