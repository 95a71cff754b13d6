import {isUtf8} from 'node:buffer'
import {PassThrough, type Readable} from 'node:stream'

import {Ajv} from 'ajv'
import type {FastifyInstance} from 'fastify'

import {parseDuration} from '../../engine/duration.js'
import {SandboxError} from '../../engine/sandbox/errors.js'
import type {SandboxRecord} from '../../engine/sandbox/record.js'
import type {SandboxService} from '../../engine/sandbox/service.js'
import {HttpError} from '../http-error.js'
import {COMMON_ERRORS, errorResponse} from '../openapi.js'
import {limitKeyOf} from '../quotas.js'
import {SECURITY} from './context.js'
import {registerSandboxSocketRoutes} from './sandbox-sockets.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What a caller's key must allow to use the route (enforced where keys have scopes). */
    scope?: 'read' | 'run' | 'sandbox' | 'admin'
  }
}

export interface SandboxRouteContext {
  sandboxes: SandboxService
}

const TAGS = ['sandboxes']
export const SANDBOX_PARAM = {type: 'object', required: ['id'], properties: {id: {type: 'string', pattern: '^sb-[0-9a-f]{16}$', description: 'A sandbox id.'}}}
const DURATION = {type: 'string', pattern: '^(?:[0-9]+(?:ms|s|m|h|d))+$', description: 'A duration like `10m`, clamped to the server\'s `serve.sandboxes.maxTtl`.'}
const ENV = {type: 'object', maxProperties: 256, additionalProperties: {type: 'string', maxLength: 65536}, propertyNames: {pattern: '^[A-Za-z_][A-Za-z0-9_]*$'}}
const ABSOLUTE_PATH = {type: 'string', minLength: 1, maxLength: 4096, pattern: '^/'}
const SANDBOX_ERRORS = {
  ...COMMON_ERRORS,
  404: errorResponse('No such sandbox (or no such path in it).'),
  409: errorResponse('`not_running`: the sandbox is gone or expired; `no_network`: it has no network.'),
}

const SANDBOX_SCHEMA = {
  type: 'object',
  required: ['id', 'state', 'image', 'createdAt', 'expiresAt'],
  properties: {
    id: {type: 'string'},
    state: {enum: ['creating', 'running', 'gone', 'expired']},
    image: {type: 'string'},
    imageId: {type: 'string'},
    createdAt: {type: 'string', format: 'date-time'},
    expiresAt: {type: 'string', format: 'date-time'},
    ttlMs: {type: 'integer'},
    limits: {type: 'object', properties: {cpus: {type: 'number'}, memoryBytes: {type: 'integer'}, pids: {type: 'integer'}}},
    network: {enum: ['bridge', 'none']},
    workdir: {type: 'string'},
    envNames: {type: 'array', items: {type: 'string'}},
    endedAt: {type: 'string', format: 'date-time'},
    reason: {type: 'string'},
  },
}

interface CreateBody {
  image: string
  ttl?: string
  env?: Record<string, string>
  workdir?: string
  network?: 'bridge' | 'none'
  limits?: {cpus?: number; memory?: number; pids?: number}
}

interface ExecBody {
  cmd: string[]
  env?: Record<string, string>
  workdir?: string
  stdin?: string
}

/** What a sandbox error means over HTTP. */
export function sandboxHttpError(error: unknown): unknown {
  if (!(error instanceof SandboxError)) return error
  const status = {not_found: 404, image_not_allowed: 403, not_running: 409, no_network: 409, limit_reached: 429, invalid_path: 400, invalid_request: 400, unsafe_archive: 400}[error.code]
  return new HttpError(status, error.code, error.message, error.hint ? {hint: error.hint} : {})
}

/** A sandbox as the API shows it: without whose quota it counts against (another client's key or address). */
function shown({owner: _owner, ...record}: SandboxRecord): Omit<SandboxRecord, 'owner'> {
  return record
}

/** Runs a handler's work, its sandbox errors turned into their HTTP replies. */
export async function answering<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work()
  } catch (error) {
    throw sandboxHttpError(error)
  }
}

function ttlMsOf(ttl: string | undefined): number | undefined {
  if (ttl === undefined) return undefined
  const ms = parseDuration(ttl)
  if (ms === undefined || ms <= 0) throw new HttpError(400, 'invalid_request', `ttl: expected a duration like "10m", got ${JSON.stringify(ttl)}`)
  return ms
}

const ajv = new Ajv({coerceTypes: 'array', allErrors: false, strict: false})

/** A validator of a request part as fastify's own would check it (used where a route replaces the compiler for its body). */
function partValidator(schema: object, part: string): (data: unknown) => boolean | {error: Error} {
  const validate = ajv.compile(schema)
  return (data) => (validate(data) ? true : {error: Object.assign(new Error(ajv.errorsText(validate.errors, {dataVar: part})), {statusCode: 400, validation: validate.errors})})
}

/** One NDJSON line of an exec's output: text when the bytes are UTF-8, else base64. */
export function outputLine(stream: 'stdout' | 'stderr', chunk: Buffer): string {
  return `${JSON.stringify(isUtf8(chunk) ? {type: 'output', stream, text: chunk.toString('utf8')} : {type: 'output', stream, base64: chunk.toString('base64')})}\n`
}

/** Sandboxes: create, list, read, extend, delete; exec with streamed output; files in and out as tar; a terminal and port forwarding over WebSockets. */
export async function registerSandboxRoutes(parent: FastifyInstance, context: SandboxRouteContext): Promise<void> {
  // A scope of their own: the tar body parser applies to these routes only.
  await parent.register(async (app) => sandboxRoutes(app, context))
}

async function sandboxRoutes(app: FastifyInstance, {sandboxes}: SandboxRouteContext): Promise<void> {
  const config = {scope: 'sandbox' as const}
  // Uploads are tar streams, read by the route as they come (the JSON body limit does not apply to them).
  app.addContentTypeParser('application/x-tar', {bodyLimit: Number.MAX_SAFE_INTEGER}, (_request, payload, done) => done(null, payload))

  app.post<{Body: CreateBody}>(
    '/v1/sandboxes',
    {
      config,
      schema: {
        operationId: 'createSandbox',
        summary: 'Make a sandbox: a container from an allowed image that lives until its time-to-live ends',
        tags: TAGS,
        security: SECURITY,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['image'],
          properties: {
            image: {type: 'string', minLength: 1, maxLength: 512, description: 'One of `serve.sandboxes.images`, exactly as written there.'},
            ttl: DURATION,
            env: ENV,
            workdir: {...ABSOLUTE_PATH, description: 'Where exec and the shell start; default /workspace.'},
            network: {enum: ['bridge', 'none'], description: 'Default bridge (when the server allows networks): needed to forward ports.'},
            limits: {
              type: 'object',
              additionalProperties: false,
              properties: {cpus: {type: 'number', exclusiveMinimum: 0}, memory: {type: 'integer', minimum: 4194304, description: 'Bytes.'}, pids: {type: 'integer', minimum: 16}},
              description: 'Clamped to the server\'s caps; what is not asked for is the cap.',
            },
          },
        },
        response: {
          201: {description: 'The sandbox runs.', content: {'application/json': {schema: SANDBOX_SCHEMA}}},
          ...SANDBOX_ERRORS,
          403: errorResponse('`image_not_allowed`: the image is not one of `serve.sandboxes.images`.'),
          429: errorResponse(
            '`limit_reached`: the server has `serve.sandboxes.max` sandboxes already; `too_many_concurrent` (this key\'s sandboxes at once) or `cpu_quota_exceeded` (its CPU-seconds in the last hour), with Retry-After; `rate_limited`.',
          ),
        },
      },
    },
    async (request, reply) => {
      const body = request.body
      const record = await answering(() =>
        sandboxes.create({
          image: body.image,
          ...(body.ttl === undefined ? {} : {ttlMs: ttlMsOf(body.ttl)}),
          ...(body.env ? {env: body.env} : {}),
          ...(body.workdir ? {workdir: body.workdir} : {}),
          ...(body.network ? {network: body.network} : {}),
          ...(body.limits ? {limits: {cpus: body.limits.cpus, memoryBytes: body.limits.memory, pids: body.limits.pids}} : {}),
          owner: limitKeyOf(request),
        }),
      )
      return reply.code(201).header('location', `/v1/sandboxes/${record.id}`).send(shown(record))
    },
  )

  app.get('/v1/sandboxes', {config, schema: {operationId: 'listSandboxes', summary: 'Every sandbox recorded, oldest first (gone and expired ones for a day)', tags: TAGS, security: SECURITY, response: {200: {description: 'The sandboxes.', content: {'application/json': {schema: {type: 'object', properties: {sandboxes: {type: 'array', items: SANDBOX_SCHEMA}}}}}}, ...COMMON_ERRORS}}}, async () => ({
    sandboxes: sandboxes.list().map(shown),
  }))

  app.get<{Params: {id: string}}>(
    '/v1/sandboxes/:id',
    {config, schema: {operationId: 'getSandbox', summary: 'One sandbox', tags: TAGS, security: SECURITY, params: SANDBOX_PARAM, response: {200: {description: 'The sandbox.', content: {'application/json': {schema: SANDBOX_SCHEMA}}}, ...SANDBOX_ERRORS}}},
    async (request) => answering(() => shown(sandboxes.get(request.params.id))),
  )

  app.delete<{Params: {id: string}}>(
    '/v1/sandboxes/:id',
    {config, schema: {operationId: 'deleteSandbox', summary: 'Remove a sandbox and its container', tags: TAGS, security: SECURITY, params: SANDBOX_PARAM, response: {204: {description: 'Removed.', type: 'null'}, ...SANDBOX_ERRORS}}},
    async (request, reply) => {
      await answering(() => sandboxes.remove(request.params.id))
      return reply.code(204).send()
    },
  )

  app.post<{Params: {id: string}; Body: {ttl?: string} | undefined}>(
    '/v1/sandboxes/:id/touch',
    {
      config,
      schema: {
        operationId: 'touchSandbox',
        summary: 'Extend a sandbox: it expires `ttl` (default its own time-to-live) from now',
        tags: TAGS,
        security: SECURITY,
        params: SANDBOX_PARAM,
        body: {type: 'object', additionalProperties: false, properties: {ttl: DURATION}},
        response: {200: {description: 'The sandbox with its new expiry.', content: {'application/json': {schema: SANDBOX_SCHEMA}}}, ...SANDBOX_ERRORS},
      },
    },
    async (request) => answering(() => shown(sandboxes.touch(request.params.id, ttlMsOf(request.body?.ttl)))),
  )

  app.post<{Params: {id: string}; Body: ExecBody}>(
    '/v1/sandboxes/:id/exec',
    {
      config,
      schema: {
        operationId: 'execInSandbox',
        summary: 'Run a command in a sandbox; its output streamed as NDJSON, then its exit code',
        description:
          'The reply is `application/x-ndjson`: one line per chunk of output, `{"type":"output","stream":"stdout"|"stderr","text"}` (or `"base64"` for bytes that are not UTF-8), and a last line `{"type":"exit","exitCode"}` (`null` when it could not be learnt), or `{"type":"error","message"}`.',
        tags: TAGS,
        security: SECURITY,
        params: SANDBOX_PARAM,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['cmd'],
          properties: {
            cmd: {type: 'array', minItems: 1, maxItems: 4096, items: {type: 'string', maxLength: 131072}, description: 'The command and its arguments (no shell: use ["sh","-c","..."] for one).'},
            env: ENV,
            workdir: ABSOLUTE_PATH,
            stdin: {type: 'string', maxLength: 65536, description: 'Given to the command\'s standard input, which is then closed.'},
          },
        },
        response: {200: {description: 'Output lines, then the exit line.', content: {'application/x-ndjson': {schema: {type: 'string'}}}}, ...SANDBOX_ERRORS},
      },
    },
    async (request, reply) => {
      const out = new PassThrough()
      const gone = new AbortController()
      request.raw.once('close', () => gone.abort())
      const {body} = request
      const {exitCode} = await answering(() =>
        sandboxes.exec(
          request.params.id,
          {cmd: body.cmd, ...(body.env ? {env: body.env} : {}), ...(body.workdir ? {workdir: body.workdir} : {}), ...(body.stdin === undefined ? {} : {stdin: Buffer.from(body.stdin)})},
          (stream, chunk) => out.write(outputLine(stream, chunk)),
          gone.signal,
        ),
      )
      exitCode.then(
        (code) => out.end(`${JSON.stringify({type: 'exit', exitCode: code})}\n`),
        (error: unknown) => out.end(`${JSON.stringify({type: 'error', message: error instanceof Error ? error.message : String(error)})}\n`),
      )
      return reply.type('application/x-ndjson').header('cache-control', 'no-store').send(out)
    },
  )

  app.put<{Params: {id: string}; Querystring: {path: string}; Body: Readable}>(
    '/v1/sandboxes/:id/files',
    {
      config,
      // The body schema documents the upload; the body itself is a stream, checked entry by entry as it is read.
      validatorCompiler: ({schema, httpPart}) => (httpPart === 'body' ? () => true : partValidator(schema, httpPart ?? 'request')),
      schema: {
        operationId: 'putSandboxFiles',
        summary: 'Upload a tar, extracted under `path` in the sandbox once all of it passed the checks',
        description:
          'The body is a tar (`application/x-tar`). Refused whole (400 `unsafe_archive`) when an entry is absolute or climbs out with `..`, a link leads out of the archive, a hard link names no file of it, or it is over the size or entry caps; folders are made as files need them.',
        tags: TAGS,
        security: SECURITY,
        params: SANDBOX_PARAM,
        querystring: {type: 'object', additionalProperties: false, required: ['path'], properties: {path: ABSOLUTE_PATH}},
        consumes: ['application/x-tar'],
        body: {type: 'string', format: 'binary', description: 'A tar archive.'},
        response: {
          200: {description: 'What was written.', content: {'application/json': {schema: {type: 'object', properties: {files: {type: 'integer'}, bytes: {type: 'integer'}}}}}},
          ...SANDBOX_ERRORS,
        },
      },
    },
    async (request) => {
      if (typeof (request.body as Readable | undefined)?.pipe !== 'function') throw new HttpError(415, 'unsupported_media_type', 'the body must be a tar (content-type: application/x-tar)')
      // The checks may stop reading early: they end a stream of their own, and the rest of the body is
      // drained so that the refusal reaches the client (ending the request itself would drop the connection).
      const body = new PassThrough()
      request.body.pipe(body)
      body.once('close', () => {
        request.body.unpipe(body)
        request.body.resume()
      })
      return answering(() => sandboxes.putFiles(request.params.id, request.query.path, body))
    },
  )

  app.get<{Params: {id: string}; Querystring: {path: string}}>(
    '/v1/sandboxes/:id/files',
    {
      config,
      schema: {
        operationId: 'getSandboxFiles',
        summary: 'Download a file or folder of the sandbox as a tar',
        tags: TAGS,
        security: SECURITY,
        params: SANDBOX_PARAM,
        querystring: {type: 'object', additionalProperties: false, required: ['path'], properties: {path: ABSOLUTE_PATH}},
        response: {200: {description: 'A tar whose top entry is the basename of `path`.', content: {'application/x-tar': {schema: {type: 'string', format: 'binary'}}}}, ...SANDBOX_ERRORS},
      },
    },
    async (request, reply) => {
      const tar = await answering(() => sandboxes.getFiles(request.params.id, request.query.path))
      return reply.type('application/x-tar').header('content-disposition', 'attachment').header('x-content-type-options', 'nosniff').send(tar)
    },
  )

  await registerSandboxSocketRoutes(app, {sandboxes})
}
