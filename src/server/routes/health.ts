import type {FastifyInstance} from 'fastify'

import type {RouteContext} from './context.js'

/** Liveness (the one route answered without a token) and the OpenAPI document. */
export function registerHealthRoutes(app: FastifyInstance, {runs}: RouteContext): void {
  app.get('/healthz', {config: {public: true}, schema: {operationId: 'health', summary: 'Liveness (no token needed)', security: [], response: {200: {description: 'Alive.', content: {'application/json': {schema: {$ref: '#/components/schemas/Health'}}}}}}}, async () => ({
    status: 'ok' as const,
    ...runs.stats,
  }))
  app.get('/v1/openapi.json', {config: {scope: 'read'}, schema: {hide: true}}, async () => app.swagger())
}
