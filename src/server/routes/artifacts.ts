import type {FastifyInstance} from 'fastify'

import {contentTypeFor, listArtifacts, openArtifact} from '../artifacts.js'
import {COMMON_ERRORS, errorResponse, ref} from '../openapi.js'
import {RUN_ID_PARAM, SECURITY, type RouteContext} from './context.js'

/** A run's artifacts: the list, and one file streamed. */
export function registerArtifactRoutes(app: FastifyInstance, {runs}: RouteContext): void {
  app.get<{Params: {id: string}}>(
    '/v1/runs/:id/artifacts',
    {
      config: {scope: 'read'},
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
    async (request) => ({artifacts: await listArtifacts(runs.runsDir, await runs.get(request.params.id))}),
  )

  app.get<{Params: {id: string; job: string; '*': string}}>(
    '/v1/runs/:id/artifacts/:job/*',
    {
      config: {scope: 'read'},
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
        response: {
          200: {description: 'The file, checked against its digest before it is sent.', content: {'application/octet-stream': {schema: {type: 'string', format: 'binary'}}}},
          ...COMMON_ERRORS,
          410: errorResponse('The artifact is no longer stored as recorded (pruned from the cache, or changed after it was stored).'),
        },
      },
    },
    async (request, reply) => {
      const record = await runs.get(request.params.id)
      const artifact = await openArtifact(runs.runsDir, runs.cacheDir, record, request.params.job, request.params['*'])
      reply
        .type(contentTypeFor(artifact.name))
        .header('content-length', artifact.size)
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(artifact.name)}`)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', 'sandbox')
      return reply.send(artifact.file.createReadStream({autoClose: true}))
    },
  )
}
