import type {FastifyInstance} from 'fastify'

import type {ServeLimits} from '../engine/config/types.js'
import {HttpError} from './http-error.js'
import {limitKeyOf} from './quotas.js'

/**
 * Requests per minute per API key (per address where the server has no keys), on every route but the
 * public ones, through @fastify/rate-limit. Counted after the auth hook, so it knows the key.
 */
export async function registerRateLimit(app: FastifyInstance, limits: ServeLimits): Promise<void> {
  const {default: rateLimit} = await import('@fastify/rate-limit')
  await app.register(rateLimit, {
    global: true,
    hook: 'preParsing',
    max: limits.requestsPerMinute,
    timeWindow: 60_000,
    keyGenerator: limitKeyOf,
    // Liveness checks from a load balancer are never limited.
    allowList: (request) => request.routeOptions.config.public === true,
    errorResponseBuilder: (_request, context) =>
      new HttpError(429, 'rate_limited', `more than ${context.max} requests in ${context.after}; try again later`, {headers: {'retry-after': String(Math.ceil(context.ttl / 1000))}}),
  })
}
