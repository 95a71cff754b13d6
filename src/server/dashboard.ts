import {existsSync} from 'node:fs'

import type {FastifyInstance} from 'fastify'

import {runGraph} from '../engine/history/run-graph.js'
import {DASHBOARD_DIR} from '../views/history/run-html.js'
import {HttpError} from './http-error.js'
import {COMMON_ERRORS} from './openapi.js'
import {RUN_ID_PARAM, SECURITY} from './routes/context.js'
import {registerExplainRoutes, type ExplainContext} from './routes/explain.js'

/**
 * The page's own policy: its scripts and styles only from this origin, no inline script, no eval,
 * no framing; it talks to this origin only (the API, the event streams).
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

const ASSET_NAME = /^[a-z0-9][a-z0-9.-]*\.(js|css|svg)$/

/**
 * The dashboard: its page at `/` and its bundled assets, public (they hold no data; every call they
 * make to the API is authenticated), and what the page reads beyond run records: the run graph, and
 * the explanation of a job's cache key.
 */
export async function registerDashboardRoutes(app: FastifyInstance, context: ExplainContext): Promise<void> {
  const {runs, config} = context
  const {default: fastifyStatic} = await import('@fastify/static')
  // serve: false: the plugin streams files (ETag, ranges, no path escapes) from the routes declared here, marked public.
  await app.register(fastifyStatic, {root: DASHBOARD_DIR, serve: false, cacheControl: false})
  const built = (): void => {
    if (!existsSync(DASHBOARD_DIR)) throw new HttpError(404, 'not_found', 'the dashboard is not built (npm run build)')
  }
  const hidden = {hide: true}

  app.get('/', {config: {public: true}, schema: hidden}, async (_request, reply) => {
    built()
    return reply.header('content-security-policy', PAGE_CSP).header('x-content-type-options', 'nosniff').header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer').header('cache-control', 'no-cache').sendFile('index.html')
  })

  app.get<{Params: {name: string}}>('/assets/:name', {config: {public: true}, schema: hidden}, async (request, reply) => {
    built()
    if (!ASSET_NAME.test(request.params.name)) throw new HttpError(404, 'not_found', `no asset ${JSON.stringify(request.params.name)}`)
    return reply.header('x-content-type-options', 'nosniff').header('cache-control', 'no-cache').sendFile(`assets/${request.params.name}`)
  })

  app.get<{Params: {id: string}}>(
    '/v1/runs/:id/graph',
    {
      config: {scope: 'read'},
      schema: {
        operationId: 'getRunGraph',
        summary: 'What each job of the run needed, read from its jobs file (for drawing the pipeline)',
        tags: ['runs'],
        security: SECURITY,
        params: RUN_ID_PARAM,
        response: {
          200: {
            description: 'The needs of every job of the run; `fromFile` is false (and there are no edges) when the jobs file is gone or no longer valid.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['needs', 'fromFile'],
                  properties: {needs: {type: 'object', additionalProperties: {type: 'array', items: {type: 'string'}}}, fromFile: {type: 'boolean'}},
                },
              },
            },
          },
          ...COMMON_ERRORS,
        },
      },
    },
    async (request) => runGraph(await runs.get(request.params.id), config.defaults),
  )
  registerExplainRoutes(app, context)
}
