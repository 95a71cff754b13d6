import {realpath} from 'node:fs/promises'
import * as path from 'node:path'

import type {FastifyInstance} from 'fastify'

import {servedPipelinePath} from '../../engine/config/file.js'
import type {ResolvedConfig} from '../../engine/config/types.js'
import {formatExplanation} from '../../views/cache/explanation.js'
import {HttpError} from '../http-error.js'
import {COMMON_ERRORS, errorResponse} from '../openapi.js'
import {SECURITY, type RouteContext} from './context.js'

export interface ExplainContext extends RouteContext {
  projectDir: string
  config: ResolvedConfig
  env: NodeJS.ProcessEnv
}

/** `orca explain JOB` over HTTP for a job of a run of the served project's allowed pipelines. */
export function registerExplainRoutes(app: FastifyInstance, {runs, projectDir, config, env}: ExplainContext): void {
  // As for runs: the server's own token is never part of what a pipeline sees.
  const pipelineEnv = Object.fromEntries(Object.entries(env).filter(([name]) => name !== 'ORCA_TOKEN'))
  app.get<{Params: {id: string; job: string}}>(
    '/v1/runs/:id/jobs/:job/explain',
    {
      config: {scope: 'read'},
      schema: {
        operationId: 'explainJob',
        summary: "What `orca explain JOB` says now: the job's key against the key it was last cached under, and what changed",
        tags: ['runs'],
        security: SECURITY,
        params: {type: 'object', required: ['id', 'job'], properties: {id: {type: 'string'}, job: {type: 'string'}}},
        response: {
          200: {
            description: '`explanation` as `orca explain --json` prints it, `text` as `orca explain` does.',
            content: {'application/json': {schema: {type: 'object', required: ['explanation', 'text'], properties: {explanation: {type: 'object'}, text: {type: 'string'}}}}},
          },
          ...COMMON_ERRORS,
          409: errorResponse('The run is not of a pipeline this server runs (another project, or a file not in serve.pipelines).'),
        },
      },
    },
    async (request) => {
      const record = await runs.get(request.params.id)
      const {job} = request.params
      if (!Object.hasOwn(record.jobs, job)) throw new HttpError(404, 'not_found', `run ${record.id} has no job ${JSON.stringify(job)}`)
      const root = await realpath(projectDir)
      const file = record.file === null ? undefined : servedPipelinePath(path.relative(root, record.file).split(path.sep).join('/'))
      if (file === undefined || !config.serve.pipelines.includes(file)) {
        throw new HttpError(409, 'not_explainable', `run ${record.id} is not of a pipeline this server runs (serve.pipelines)`)
      }
      const {explainTarget} = await import('../../engine/cache/explain-target.js')
      const explanation = await explainTarget({cwd: root, env: pipelineEnv, file, job, envOverrides: {}})
      return {explanation, text: formatExplanation(explanation)}
    },
  )
}
