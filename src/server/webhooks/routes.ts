import type {FastifyInstance} from 'fastify'

import {COMMON_ERRORS} from '../openapi.js'
import type {Webhooks} from './webhooks.js'

const DELIVERY_SCHEMA = {
  type: 'object',
  required: ['id', 'event', 'url', 'state', 'attempts'],
  properties: {
    id: {type: 'string', description: 'Also sent as the Orca-Delivery header and the body\'s `id`.'},
    event: {enum: ['run.finished', 'sandbox.expired']},
    url: {type: 'string'},
    state: {enum: ['pending', 'delivered', 'failed'], description: '`failed` once every retry failed.'},
    nextAttemptAt: {type: 'string', description: 'When the next retry is due, while pending.'},
    attempts: {
      type: 'array',
      items: {
        type: 'object',
        required: ['at', 'durationMs'],
        properties: {at: {type: 'string'}, status: {type: 'integer', description: 'The endpoint\'s answer.'}, error: {type: 'string', description: 'Why no answer came.'}, durationMs: {type: 'integer'}},
      },
    },
  },
}

/** `GET /v1/webhooks/deliveries`: what was sent to the configured endpoints, and how each attempt went. */
export function registerWebhookRoutes(app: FastifyInstance, webhooks: Webhooks): void {
  app.get(
    '/v1/webhooks/deliveries',
    {
      config: {scope: 'admin'},
      schema: {
        operationId: 'listWebhookDeliveries',
        summary: 'Webhook deliveries of this server (the newest 1000), newest first, with every attempt',
        tags: ['webhooks'],
        response: {
          200: {description: 'The deliveries.', content: {'application/json': {schema: {type: 'object', required: ['deliveries'], properties: {deliveries: {type: 'array', items: DELIVERY_SCHEMA}}}}}},
          ...COMMON_ERRORS,
        },
      },
    },
    async () => ({deliveries: webhooks.deliveries()}),
  )
}
