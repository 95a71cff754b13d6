import {createReadStream} from 'node:fs'
import {open} from 'node:fs/promises'
import * as path from 'node:path'

import type {FastifyInstance} from 'fastify'

import {runDir} from '../../engine/records/store.js'
import {HttpError} from '../http-error.js'
import {COMMON_ERRORS} from '../openapi.js'
import {SECURITY, type RouteContext} from './context.js'

/** A job's log as text. */
export function registerLogRoutes(app: FastifyInstance, {runs}: RouteContext): void {
  app.get<{Params: {id: string; job: string}}>(
    '/v1/runs/:id/logs/:job',
    {
      config: {scope: 'read'},
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
      // Plain text, never sniffed as markup, and a page of its own could run nothing (a job's output is not trusted).
      reply.type('text/plain; charset=utf-8').header('x-content-type-options', 'nosniff').header('content-security-policy', 'sandbox')
      if (!handle) return reply.send('')
      const {size} = await handle.stat()
      reply.header('content-length', size)
      // Reads what is there now; a live log grows, so stop at the size we announced.
      return reply.send(createReadStream('', {fd: handle, start: 0, end: Math.max(0, size - 1), autoClose: true}).on('error', () => undefined))
    },
  )
}
