import {createReadStream} from 'node:fs'
import {open} from 'node:fs/promises'
import * as path from 'node:path'

import type {FastifyInstance} from 'fastify'

import {runDir} from '../engine/records/store.js'
import {contentTypeFor, listArtifacts, openArtifact} from './artifacts.js'
import {HttpError} from './http-error.js'
import {COMMON_ERRORS, errorResponse, json, ref, RUN_SUBMISSION_SCHEMA} from './openapi.js'
import type {RunService, RunSubmission} from './run-service.js'
import {parseLastEventId, streamEvents, streamIsOver} from './sse.js'

const RUN_ID_PARAM = {type: 'object', required: ['id'], properties: {id: {type: 'string', description: 'A run id, or `latest`.'}}}
const SECURITY = [{bearer: []}]

/** The `/v1` routes (SPEC §9). `stop` aborts open event streams at shutdown. */
export function registerRoutes(app: FastifyInstance, runs: RunService, stop: AbortSignal): void {
  app.post<{Body: RunSubmission; Headers: {'idempotency-key'?: string}}>(
    '/v1/runs',
    {
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
          403: errorResponse('`forbidden_host`: the Host header names no address of this server; `pipeline_not_allowed`: `file` is not one of `serve.pipelines`.'),
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

  app.get<{Params: {id: string}; Headers: {'last-event-id'?: string}}>(
    '/v1/runs/:id/events',
    {
      schema: {
        operationId: 'streamRunEvents',
        summary: 'The run\'s events as Server-Sent Events; ends after run.finished',
        description:
          'Each message has `id:` the event\'s seq and `data:` the event JSON (components/schemas/Event). After `run.finished` comes one message `event: end` (data `{runId, status, lastSeq}`) and the stream closes. Send `Last-Event-ID` to resume after that seq; a finished run resumed at or past its last event is answered 204, which tells EventSource not to reconnect. A run whose process died ends as `abandoned`.',
        tags: ['runs'],
        security: SECURITY,
        params: RUN_ID_PARAM,
        headers: {type: 'object', properties: {'last-event-id': {type: 'string', description: 'Resume after this event seq.'}}},
        response: {
          200: {description: 'An event stream.', content: {'text/event-stream': {schema: {type: 'string', description: 'Messages whose data is an Event (components/schemas/Event), then an `end` message.'}}}},
          204: {description: 'The run has finished and the client has seen its last event: nothing more will come (EventSource stops reconnecting).'},
          ...COMMON_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const record = await runs.get(request.params.id)
      const live = runs.liveEvents(record.id)
      const afterSeq = parseLastEventId(request.headers['last-event-id'])
      if (streamIsOver({live, status: record.status, lastSeq: record.lastSeq}, afterSeq)) return reply.code(204).send()
      reply.hijack()
      await streamEvents(reply.raw, {live, runsDir: runs.runsDir, id: record.id, afterSeq, stop})
    },
  )

  app.get<{Params: {id: string; job: string}}>(
    '/v1/runs/:id/logs/:job',
    {
      schema: {
        operationId: 'getJobLog',
        summary: 'A job\'s combined step output, secrets masked',
        tags: ['runs'],
        security: SECURITY,
        params: {type: 'object', required: ['id', 'job'], properties: {id: {type: 'string'}, job: {type: 'string'}}},
        response: {200: {description: 'The log as text.', content: {'text/plain': {schema: {type: 'string'}}}}, ...COMMON_ERRORS},
      },
    },
    async (request, reply) => {
      const record = await runs.get(request.params.id)
      const {job} = request.params
      if (!Object.hasOwn(record.jobs, job)) throw new HttpError(404, 'not_found', `run ${record.id} has no job ${JSON.stringify(job)}`)
      const file = path.join(runDir(runs.runsDir, record.id), 'logs', `${job}.log`)
      const handle = await open(file, 'r').catch(() => undefined)
      reply.type('text/plain; charset=utf-8')
      if (!handle) return reply.send('')
      const {size} = await handle.stat()
      reply.header('content-length', size)
      // Reads what is there now; a live log grows, so stop at the size we announced.
      return reply.send(createReadStream('', {fd: handle, start: 0, end: Math.max(0, size - 1), autoClose: true}).on('error', () => undefined))
    },
  )

  app.get<{Params: {id: string}}>(
    '/v1/runs/:id/artifacts',
    {
      schema: {
        operationId: 'listArtifacts',
        summary: 'The artifacts the run recorded, by job',
        tags: ['artifacts'],
        security: SECURITY,
        params: RUN_ID_PARAM,
        response: {
          200: {description: 'Artifacts', content: {'application/json': {schema: {type: 'object', required: ['artifacts'], properties: {artifacts: {type: 'array', items: ref('Artifact')}}}}}},
          ...COMMON_ERRORS,
        },
      },
    },
    async (request) => ({artifacts: listArtifacts(await runs.get(request.params.id))}),
  )

  app.get<{Params: {id: string; job: string; '*': string}}>(
    '/v1/runs/:id/artifacts/:job/*',
    {
      schema: {
        operationId: 'downloadArtifact',
        summary: 'Download one artifact (streamed)',
        tags: ['artifacts'],
        security: SECURITY,
        params: {
          type: 'object',
          required: ['id', 'job', '*'],
          properties: {id: {type: 'string'}, job: {type: 'string'}, '*': {type: 'string', description: 'The artifact path as listed.'}},
        },
        response: {200: {description: 'The file.', content: {'application/octet-stream': {schema: {type: 'string', format: 'binary'}}}}, ...COMMON_ERRORS},
      },
    },
    async (request, reply) => {
      const record = await runs.get(request.params.id)
      const dir = runDir(runs.runsDir, record.id)
      const artifact = await openArtifact(dir, record, request.params.job, request.params['*'])
      reply
        .type(contentTypeFor(artifact.name))
        .header('content-length', artifact.size)
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(artifact.name)}`)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', 'sandbox')
      return reply.send(artifact.file.createReadStream({autoClose: true}))
    },
  )

  app.post<{Params: {id: string}; Querystring: {force?: boolean}}>(
    '/v1/runs/:id/cancel',
    {
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
