import {readFile} from 'node:fs/promises'
import * as path from 'node:path'

import type {FastifyInstance} from 'fastify'

import {PROVENANCE_FILE} from '../../engine/provenance/attest.js'
import {runDir} from '../../engine/records/store.js'
import {HttpError} from '../http-error.js'
import {COMMON_ERRORS} from '../openapi.js'
import {SECURITY, type RouteContext} from './context.js'

/** A run's attestation (docs/provenance.md), as the file `orca verify` checks. */
export function registerProvenanceRoutes(app: FastifyInstance, {runs}: RouteContext): void {
  app.get<{Params: {id: string}}>(
    '/v1/runs/:id/provenance',
    {
      config: {scope: 'read'},
      schema: {
        operationId: 'getProvenance',
        summary: "The run's attestation: a DSSE envelope of an in-toto Statement with a SLSA Provenance v1 predicate, one line",
        tags: ['runs'],
        security: SECURITY,
        params: {type: 'object', required: ['id'], properties: {id: {type: 'string'}}},
        response: {200: {description: 'provenance.intoto.jsonl of the run directory.', content: {'application/x-ndjson': {schema: {type: 'string'}}}}, ...COMMON_ERRORS},
      },
    },
    async (request, reply) => {
      const record = await runs.get(request.params.id)
      // Written whole before run.finished; the record names it only once it is there.
      if (record.provenance === null) throw new HttpError(404, 'not_found', `run ${record.id} has no attestation (it is still running, or left no artifacts)`)
      const text = await readFile(path.join(runDir(runs.runsDir, record.id), PROVENANCE_FILE))
      return reply
        .type('application/x-ndjson')
        .header('content-disposition', `attachment; filename="${record.id}.intoto.jsonl"`)
        .send(text)
    },
  )
}
