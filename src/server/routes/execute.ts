import type Docker from 'dockerode'
import type {FastifyInstance} from 'fastify'

import type {ResolvedConfig} from '../../engine/config/types.js'
import {OrcaError} from '../../engine/errors.js'
import {projectIdentity} from '../../engine/project-identity.js'
import type {ExecuteResult} from '../../engine/sandbox/execute.js'
import {resolveLimits, type RequestedLimits} from '../../engine/sandbox/execute-limits.js'
import {HttpError} from '../http-error.js'
import {COMMON_ERRORS, errorResponse} from '../openapi.js'
import {limitKeyOf, type Quotas} from '../quotas.js'

export interface ExecuteBody {
  image: string
  command?: string[]
  snippet?: string
  files?: Array<{path: string; content: string; mode?: number}>
  collect?: string[]
  env?: Record<string, string>
  limits?: RequestedLimits
}

export interface ExecuteRouteContext {
  projectDir: string
  config: ResolvedConfig
  env: NodeJS.ProcessEnv
  quotas: Quotas
  stop: AbortSignal
}

/** Inline files arrive base64 in JSON: a few MiB of them, not the 64 KiB of other bodies. */
const EXECUTE_BODY_LIMIT = 8 * 1024 ** 2

const BODY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['image'],
  properties: {
    image: {type: 'string', minLength: 1, maxLength: 512, description: 'One of the images serve.execute.images allows, as written there.'},
    command: {type: 'array', minItems: 1, maxItems: 1000, items: {type: 'string', maxLength: 65536}, description: 'The program and its arguments (no shell in between). Give this or `snippet`.'},
    snippet: {type: 'string', minLength: 1, maxLength: 1048576, description: 'A script run by `sh -c`. Give this or `command`.'},
    files: {
      type: 'array',
      maxItems: 1000,
      description: 'Written under the workdir (/work) before the command starts.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'content'],
        properties: {
          path: {type: 'string', minLength: 1, maxLength: 1024, description: 'Relative to the workdir, `/`-separated, no `..`.'},
          content: {type: 'string', contentEncoding: 'base64', description: 'The bytes, base64.'},
          mode: {type: 'integer', minimum: 0, maximum: 511, description: 'Permission bits, e.g. 493 (0755); default 0644.'},
        },
      },
    },
    collect: {type: 'array', maxItems: 100, items: {type: 'string', minLength: 1, maxLength: 1024}, description: 'Files under the workdir to send back, base64 (regular files; serve.execute.maxCollectBytes together).'},
    env: {type: 'object', maxProperties: 100, additionalProperties: {type: 'string', maxLength: 65536}, propertyNames: {pattern: '^[A-Za-z_][A-Za-z0-9_]*$'}},
    limits: {
      type: 'object',
      additionalProperties: false,
      description: 'Each at most the server\'s cap (serve.execute), which is also the value of one not given; a value over its cap is refused with 422.',
      properties: {
        timeoutMs: {type: 'integer', minimum: 100},
        memoryBytes: {type: 'integer', minimum: 6291456, description: 'At least 6 MiB (the engine\'s floor).'},
        cpus: {type: 'number', exclusiveMinimum: 0},
        pids: {type: 'integer', minimum: 8},
        outputBytes: {type: 'integer', minimum: 1, description: 'stdout and stderr together; the program is stopped past it.'},
        network: {type: 'boolean', description: 'A bridge network, if serve.execute.network allows it; default none.'},
      },
    },
  },
}

const RESULT_SCHEMA = {
  type: 'object',
  required: ['id', 'exitCode', 'stdout', 'stderr', 'durationMs', 'limit', 'files'],
  properties: {
    id: {type: 'string'},
    exitCode: {type: ['integer', 'null'], description: 'null when orca stopped it (limit `timeout` or `output`).'},
    stdout: {type: 'string', description: 'As UTF-8 (invalid bytes replaced), cut at the output cap.'},
    stderr: {type: 'string'},
    durationMs: {type: 'integer'},
    limit: {enum: ['timeout', 'memory', 'output', 'pids', null], description: 'The limit that ended or hampered it: `timeout` and `output` (orca stopped it), `memory` (the kernel killed a process over the memory limit), `pids` (the pids limit refused a fork); null for none.'},
    files: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path'],
        properties: {path: {type: 'string'}, size: {type: 'integer'}, content: {type: 'string', contentEncoding: 'base64'}, error: {type: 'string', description: 'Why it was not collected (no such file, not a regular file, over the size left).'}},
      },
    },
    cpuSeconds: {type: 'number', description: 'Charged against the key\'s hourly quota: the CPU limit times the duration.'},
  },
}

/** `POST /v1/execute`: one command in a fresh hardened container, answered when it ends. */
export function registerExecuteRoutes(app: FastifyInstance, context: ExecuteRouteContext): void {
  const caps = context.config.serve.execute
  let docker: Promise<Docker> | undefined
  const engine = (): Promise<Docker> => {
    docker ??= import('../../engine/executor/docker/connect.js').then(async ({connectDocker}) => (await connectDocker({host: context.config.docker.host, env: context.env})).docker)
    // A failed connection is tried again by the next request.
    docker.catch(() => (docker = undefined))
    return docker
  }
  const project = projectIdentity(context.projectDir)

  app.post<{Body: ExecuteBody}>(
    '/v1/execute',
    {
      config: {scope: 'run'},
      bodyLimit: EXECUTE_BODY_LIMIT,
      schema: {
        operationId: 'execute',
        summary: 'Run one command in a fresh container under limits, and get its output, exit code and files',
        tags: ['execute'],
        body: BODY_SCHEMA,
        response: {
          200: {description: 'It ran (whatever its exit code, or the limit that ended it).', content: {'application/json': {schema: RESULT_SCHEMA}}},
          ...COMMON_ERRORS,
          403: errorResponse('`image_not_allowed`: the image is not in serve.execute.images (execute is off while that list is empty); `insufficient_scope`: the key lacks `run`; `forbidden_host`.'),
          413: errorResponse('The body is over 8 MiB.'),
          422: errorResponse('`invalid_execute_request`: a limit over the server\'s cap, a path with `..`, both or neither of command and snippet, content that is not base64.'),
          429: errorResponse('`rate_limited`, `too_many_concurrent` (this key\'s executions at once) or `cpu_quota_exceeded` (its CPU-seconds in the last hour); Retry-After says when to try again.'),
          503: errorResponse('The Docker engine cannot be reached, or the server is shutting down.'),
        },
      },
    },
    async (request) => {
      const body = request.body
      if (!caps.images.includes(body.image)) {
        throw new HttpError(403, 'image_not_allowed', caps.images.length === 0 ? 'this server runs no executions: serve.execute.images is empty' : `image ${JSON.stringify(body.image)} is not one of serve.execute.images (${caps.images.join(', ')})`)
      }
      let limits
      let files
      try {
        limits = resolveLimits(body.limits ?? {}, caps)
        files = (body.files ?? []).map((file, index) => ({path: file.path, content: base64(file.content, `files[${index}].content`), ...(file.mode === undefined ? {} : {mode: file.mode})}))
      } catch (error) {
        throw invalid(error)
      }
      const lease = context.quotas.acquire(limitKeyOf(request), 'execute')
      let result: ExecuteResult | undefined
      try {
        const {execute} = await import('../../engine/sandbox/execute.js')
        result = await execute(
          {image: body.image, command: body.command, snippet: body.snippet, files, collect: body.collect, env: body.env, limits},
          {docker: await engine(), project, maxCollectBytes: caps.maxCollectBytes, signal: context.stop},
        ).catch((error: unknown) => {
          throw error instanceof OrcaError && error.kind === 'usage' ? invalid(error) : error
        })
      } finally {
        lease.release(result?.cpuSeconds ?? 0)
      }
      return {
        ...result,
        stdout: result.stdout.toString('utf8'),
        stderr: result.stderr.toString('utf8'),
        files: result.files.map((file) => ('content' in file ? {path: file.path, size: file.size, content: file.content.toString('base64')} : file)),
      }
    },
  )
}

function base64(text: string, what: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new OrcaError('usage', `${what}: expected base64`)
  return Buffer.from(text, 'base64')
}

function invalid(error: unknown): HttpError {
  return new HttpError(422, 'invalid_execute_request', error instanceof Error ? error.message : String(error))
}
