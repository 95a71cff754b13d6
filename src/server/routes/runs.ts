import type {FastifyInstance} from 'fastify'

import {COMMON_ERRORS, errorResponse, json, RUN_SUBMISSION_SCHEMA} from '../openapi.js'
import type {RunSubmission} from '../run-service.js'
import {RUN_ID_PARAM, SECURITY, type RouteContext} from './context.js'

/** Runs: start one, list them, read one record, cancel a live one. */
export function registerRunRoutes(app: FastifyInstance, {runs}: RouteContext): void {
  app.post<{Body: RunSubmission; Headers: {'idempotency-key'?: string}}>(
    '/v1/runs',
    {
      config: {scope: 'run'},
      schema: {
        operationId: 'createRun',
        summary: 'Start a run of a pipeline file of the served project',
        tags: ['runs'],
        security: SECURITY,
        headers: {type: 'object', properties: {'idempotency-key': {type: 'string', description: 'A retried POST with the same key and body returns the same run.'}}},
        body: RUN_SUBMISSION_SCHEMA,
        response: {
          202: json('SubmittedRun', 'The run is recorded and running or queued.'),
          ...COMMON_ERRORS,
          403: errorResponse('`forbidden_host`: the Host header names no address of this server; `pipeline_not_allowed`: `file` is not one of `serve.pipelines`; `host_jobs_not_allowed`: the run has `runs-on: host` jobs and `serve.allowHost` is not set.'),
          413: errorResponse('The body is larger than the limit.'),
          415: errorResponse('The body is not application/json.'),
          422: errorResponse('The pipeline is invalid (diagnostics name positions and keys, never values), a target is unknown, or the Idempotency-Key was used with another body.'),
          503: errorResponse('The server is shutting down or its queue is full.'),
        },
      },
    },
    async (request, reply) => {
      const {result, replayed} = await runs.submit(request.body ?? {}, request.headers['idempotency-key'])
      if (replayed) reply.header('idempotent-replayed', 'true')
      return reply.code(202).header('location', result.url).send(result)
    },
  )

  app.get<{Querystring: {limit?: number; before?: string}}>(
    '/v1/runs',
    {
      config: {scope: 'read'},
      schema: {
        operationId: 'listRuns',
        summary: 'Run records, newest first',
        tags: ['runs'],
        security: SECURITY,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: {type: 'integer', minimum: 1, maximum: 1000, default: 100},
            before: {type: 'string', description: 'Only runs older than this run id (the `next` of the previous page).'},
          },
        },
        response: {200: json('RunList', 'A page of run records.'), ...COMMON_ERRORS},
      },
    },
    async (request, reply) => reply.type('application/json').send(await runs.listJson({limit: request.query.limit ?? 100, before: request.query.before})),
  )

  app.get<{Params: {id: string}}>(
    '/v1/runs/:id',
    {
      config: {scope: 'read'},
      schema: {
        operationId: 'getRun',
        summary: 'A run record (the same document as run.json)',
        tags: ['runs'],
        security: SECURITY,
        params: RUN_ID_PARAM,
        response: {200: json('RunRecord', 'The run record.'), ...COMMON_ERRORS},
      },
    },
    async (request, reply) => reply.type('application/json').send(await runs.getJson(request.params.id)),
  )

  app.post<{Params: {id: string}; Querystring: {force?: boolean}}>(
    '/v1/runs/:id/cancel',
    {
      config: {scope: 'run'},
      schema: {
        operationId: 'cancelRun',
        summary: 'Cancel a run of this server (again, or with force=true, to kill without grace)',
        tags: ['runs'],
        security: SECURITY,
        params: RUN_ID_PARAM,
        querystring: {type: 'object', additionalProperties: false, properties: {force: {type: 'boolean', default: false}}},
        response: {
          202: json('Cancelling', 'Cancellation started; the run records `cancelled` when its containers are gone.'),
          ...COMMON_ERRORS,
          409: errorResponse('The run is not live in this server (finished, or run by another process).'),
        },
      },
    },
    async (request, reply) => reply.code(202).send(await runs.cancel(request.params.id, request.query.force ?? false)),
  )
}
