import type {FastifyInstance} from 'fastify'

import {COMMON_ERRORS} from '../openapi.js'
import {parseLastEventId, streamEvents, streamIsOver} from '../sse.js'
import {RUN_ID_PARAM, SECURITY, type RouteContext} from './context.js'

/** A run's events as Server-Sent Events, resumable with Last-Event-ID. */
export function registerEventRoutes(app: FastifyInstance, {runs, stop}: RouteContext): void {
  app.get<{Params: {id: string}; Headers: {'last-event-id'?: string}}>(
    '/v1/runs/:id/events',
    {
      config: {scope: 'read'},
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
}
