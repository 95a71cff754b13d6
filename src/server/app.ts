import {setMaxListeners} from 'node:events'
import type {AddressInfo} from 'node:net'
import * as path from 'node:path'

import Fastify, {type FastifyInstance, type FastifyReply, type FastifyRequest} from 'fastify'

import type {ResolvedConfig} from '../engine/config/types.js'
import type {Executor} from '../engine/executor/types.js'
import {authorize, BEARER_SCHEME, withScope, type RouteNeed} from './auth/authorize.js'
import {KeyStore} from './auth/key-store.js'
import type {Scope} from './auth/scopes.js'
import {allowedHostHeaders, hostForUrl} from './guards.js'
import {HttpError, toHttpError} from './http-error.js'
import {schemaComponents} from './openapi.js'
import {registerArtifactRoutes} from './routes/artifacts.js'
import {registerEventRoutes} from './routes/events.js'
import {registerHealthRoutes} from './routes/health.js'
import {registerLogRoutes} from './routes/logs.js'
import {registerProvenanceRoutes} from './routes/provenance.js'
import {registerExecuteRoutes} from './routes/execute.js'
import {registerRunRoutes} from './routes/runs.js'
import {registerUploadRoutes} from './routes/uploads.js'
import {Quotas} from './quotas.js'
import {registerRateLimit} from './rate-limit.js'
import {registerSwaggerUi} from './swagger-ui.js'
import {registerWebhookRoutes} from './webhooks/routes.js'
import {Webhooks} from './webhooks/webhooks.js'
import {RunService} from './run-service.js'
import {registerDashboardRoutes} from './dashboard.js'
import {registerSessionRoutes, Sessions} from './session.js'
import {registerSandboxRoutes} from './routes/sandboxes.js'
import {servedSandboxes, type ServedSandboxesOptions} from './sandboxes.js'
import type {SandboxRecord} from '../engine/sandbox/record.js'

/** How long a shutdown lets open requests end once runs are drained, before their connections are cut. */
const SHUTDOWN_GRACE_MS = 3000

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Answered without a key: the explicit allow-list (`/healthz`, the Swagger UI's page and assets). */
    public?: boolean
  }
}

export interface ServeOptions {
  /** The served project: pipeline files resolve inside it; configuration comes from `config`. */
  projectDir: string
  config: ResolvedConfig
  /** Where secrets and `ORCA_*` come from, as for `orca run`. */
  env: NodeJS.ProcessEnv
  orcaVersion: string
  /** Accepted as a key with every scope (`Authorization: Bearer <token>`); with it, every route but the public ones needs a key. */
  token?: string
  /** The API keys (default: the project's, beside its runs folder); a key file turns auth on even without a token. */
  keys?: KeyStore
  /** Runs executing at once (default 2); more wait in a queue. */
  maxRunningRuns?: number
  /** Runs waiting at most (default 1000). */
  maxQueuedRuns?: number
  /** Largest accepted request body in bytes (default 64 KiB). */
  bodyLimit?: number
  /** Extra `Host` header names to answer to (a reverse proxy's name). */
  allowedHosts?: string[]
  /** For tests and other engines; default Docker. */
  executor?: () => Promise<Executor>
  /** Sandboxes (docs/serve.md): how often they are reaped, and who hears of each one that expired. */
  sandboxes?: Pick<ServedSandboxesOptions, 'reapIntervalMs' | 'onExpired'>
  /** Bytes of clients' uploaded working trees kept at most (default 2 GiB), under `<project>/.orca/uploads`. */
  uploadsMaxBytes?: number
}

/** A route as registered: what the token check and the OpenAPI document are decided from. */
export interface ServedRoute {
  method: string
  /** Fastify's pattern, e.g. `/v1/runs/:id/logs/:job`. */
  url: string
  /** Answered without a key; every other route, and every unmatched path, needs one. */
  public: boolean
  /** The scope a key needs (a route that declares none needs `admin`). */
  scope?: Scope
}

/** A built server: `listen`, then `shutdown` (stop accepting, settle runs, close). */
export interface OrcaServer {
  app: FastifyInstance
  runs: RunService
  /** Per-key concurrency caps and CPU-second quotas of executions and sandboxes. */
  quotas: Quotas
  /** Sends events to `serve.webhooks` (`webhooks.deliver('sandbox.expired', …)` for sandboxes). */
  webhooks: Webhooks
  /** Every route the app answers, HEAD routes included. */
  routes: ServedRoute[]
  listen(host: string, port: number): Promise<{url: string; host: string; port: number}>
  /** Stops accepting requests, cancels (or lets finish) every live run, waits for their records, closes. */
  shutdown(mode?: 'cancel' | 'finish'): Promise<void>
}

/** Builds the HTTP server over the engine; nothing listens until `listen`. */
export async function createServer(options: ServeOptions): Promise<OrcaServer> {
  const webhooks = new Webhooks(options.config.serve.webhooks, options.env)
  const runs = new RunService({
    onFinished: (runId, finished) =>
      void webhooks.deliver('run.finished', {runId, status: finished.status, durationMs: finished.durationMs, url: `/v1/runs/${runId}`, ...(finished.error ? {error: finished.error} : {})}),
    projectDir: options.projectDir,
    config: options.config,
    // The server's own token is never a secret a pipeline can ask for.
    env: Object.fromEntries(Object.entries(options.env).filter(([name]) => name !== 'ORCA_TOKEN')),
    orcaVersion: options.orcaVersion,
    maxRunningRuns: options.maxRunningRuns ?? 2,
    maxQueuedRuns: options.maxQueuedRuns ?? 1000,
    executor: options.executor,
    uploads: {stateDir: path.join(options.projectDir, '.orca', 'uploads'), maxBytes: options.uploadsMaxBytes ?? 2 * 1024 ** 3},
  })
  // Requests fastify refuses before routing (a malformed or overlong target) pass the same checks first.
  let rejectBeforeRouting: (error: {code?: string}, request: FastifyRequest, reply: FastifyReply) => void = () => undefined
  const app = Fastify({
    logger: false,
    frameworkErrors: (error, request, reply) => rejectBeforeRouting(error, request as FastifyRequest, reply as FastifyReply),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    // Unknown keys are an error (a typo like "target" must not run every job), not silently dropped.
    ajv: {customOptions: {removeAdditional: false, coerceTypes: 'array', allErrors: false}},
  })
  // Responses are the engine's documents as they are; the schemas describe them in the OpenAPI document.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))
  // JSON only: no text/plain parser, so any other content type is a 415.
  app.removeContentTypeParser(['text/plain'])

  const sessions = new Sessions()
  const stop = new AbortController()
  // Every open event stream listens for the shutdown.
  setMaxListeners(0, stop.signal)
  let allowedHosts = new Set<string>()
  let draining = false
  // Read when asked, not when added: a plugin's own onRoute hook may still mark its routes public.
  const registered: Array<{method: string | string[]; url: string; config?: {public?: boolean; scope?: Scope}}> = []
  app.addHook('onRoute', (route) => void registered.push(route))
  const servedRoutes = (): ServedRoute[] =>
    registered.flatMap((route) => {
      const scope = route.config?.scope
      return [route.method].flat().map((method) => ({method, url: route.url, public: route.config?.public === true, ...(scope === undefined ? {} : {scope})}))
    })
  const credentials = {token: options.token, keys: options.keys ?? KeyStore.forRunsDir(options.config.runsDir)}
  // Last-used times are written now and then, never on the request's path.
  const flushKeyUse = (): void => {
    try {
      credentials.keys.flushUsed()
    } catch (error) {
      process.emitWarning(`orca serve: cannot record when keys were last used: ${(error as Error).message}`)
    }
  }
  const keyUseTimer = setInterval(flushKeyUse, 5000).unref()

  /** Throws the refusal a request gets before any handler runs: shutting down, a foreign Host, no key, a missing scope. */
  const admit = (request: FastifyRequest, need: RouteNeed): void => {
    if (draining) throw new HttpError(503, 'shutting_down', 'the server is shutting down', {headers: {connection: 'close'}})
    const host = request.headers.host?.toLowerCase()
    if (host === undefined || !allowedHosts.has(host)) {
      throw new HttpError(403, 'forbidden_host', `Host ${JSON.stringify(request.headers.host ?? '')} is not an address of this server`)
    }
    // A browser's session cookie (the key it was exchanged for) when there is no Authorization header.
    const principal = sessions.authorize(request, need) ?? authorize(request.headers.authorization, need, credentials)
    if (principal !== undefined) request.principal = principal
  }
  // Decided by the route the router matched, never by the raw URL (which may be percent-encoded or
  // absolute-form): only routes marked public skip the key, an unmatched path needs one too (so a
  // 404 tells nothing to a caller without it), and a route that declares no scope needs `admin`.
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config
    const matched = request.routeOptions.url !== undefined
    admit(request, config.public === true ? {public: true} : {scope: config.scope ?? (matched ? 'admin' : undefined)})
  })
  rejectBeforeRouting = (error, request, reply) => {
    let http: HttpError
    try {
      admit(request, {scope: undefined})
      http =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new HttpError(414, 'invalid_request', 'a path segment is too long')
          : new HttpError(400, 'invalid_request', 'the request target is not a valid URL')
    } catch (refusal) {
      http = toHttpError(refusal)
    }
    void reply.code(http.statusCode).headers(http.headers).type('application/json').send(http.body)
  }

  app.setErrorHandler(async (error, _request, reply) => {
    const http = toHttpError(error)
    // A bug shows its stack on the server's stderr; the client only learns it was internal.
    if (http.code === 'internal') process.emitWarning(`orca serve: ${(error as Error).stack ?? String(error)}`)
    return reply.code(http.statusCode).headers(http.headers).type('application/json').send(http.body)
  })
  app.setNotFoundHandler(async (request, reply) => {
    const http = new HttpError(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`)
    return reply.code(404).type('application/json').send(http.body)
  })

  const {default: swagger} = await import('@fastify/swagger')
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {title: 'orca', version: options.orcaVersion, description: 'The orca engine over HTTP: start runs, follow their events, fetch logs and artifacts.'},
      components: {
        schemas: schemaComponents() as Record<string, never>,
        securitySchemes: {bearer: BEARER_SCHEME as never},
      },
    },
    // Fastify's wildcard is the artifact path: name it, so the document and generated clients have a real parameter.
    transform: ({schema: declared, url, route}) => {
      const schema = withScope(declared ?? {}, route.config)
      const params = schema.params as {properties: Record<string, unknown>; required: string[]} | undefined
      if (!url.endsWith('/*') || params?.properties['*'] === undefined) return {schema, url}
      const {'*': pathParam, ...rest} = params.properties
      return {
        url: `${url.slice(0, -1)}:path`,
        schema: {...schema, params: {...params, required: params.required.map((n) => (n === '*' ? 'path' : n)), properties: {...rest, path: pathParam}}},
      }
    },
  })

  await registerSwaggerUi(app)
  await registerRateLimit(app, options.config.serve.limits)
  const quotas = new Quotas(options.config.serve.limits)

  // One module per resource of the API (docs/serve.md lists the routes).
  const context = {runs, stop: stop.signal}
  registerWebhookRoutes(app, webhooks)
  registerExecuteRoutes(app, {projectDir: options.projectDir, config: options.config, env: options.env, quotas, stop: stop.signal})
  registerHealthRoutes(app, context)
  registerRunRoutes(app, context)
  registerEventRoutes(app, context)
  registerLogRoutes(app, context)
  registerArtifactRoutes(app, context)
  registerProvenanceRoutes(app, context)
  registerSessionRoutes(app, sessions)
  await registerDashboardRoutes(app, {...context, projectDir: options.projectDir, config: options.config, env: options.env})
  // An embedder's onExpired replaces the webhook; otherwise each sandbox reaped at its expiry is a `sandbox.expired` delivery.
  const onExpired = (record: SandboxRecord): void =>
    void webhooks.deliver('sandbox.expired', {sandboxId: record.id, image: record.image, createdAt: record.createdAt, expiresAt: record.expiresAt, url: `/v1/sandboxes/${record.id}`})
  const sandboxes = servedSandboxes({projectDir: options.projectDir, config: options.config, env: options.env, onExpired, ...options.sandboxes, quotas, warn: (message) => process.emitWarning(message)})
  await registerSandboxRoutes(app, {sandboxes: sandboxes.service})
  await registerUploadRoutes(app, context)

  let closing: Promise<void> | undefined
  return {
    app,
    runs,
    quotas,
    webhooks,
    get routes() {
      return servedRoutes()
    },
    async listen(host, port) {
      await app.listen({host, port})
      const address = app.server.address() as AddressInfo
      allowedHosts = allowedHostHeaders(host, address.port, options.allowedHosts)
      return {url: `http://${hostForUrl(host)}:${address.port}`, host, port: address.port}
    },
    shutdown(mode = 'cancel') {
      closing ??= (async () => {
        draining = true
        // Sandboxes outlive the server (a restarted one reconciles them); only their reaper stops.
        sandboxes.stop()
        // No new connections; open ones get 503 until they close.
        app.server.close()
        await runs.drain(mode)
        await webhooks.close()
        // Streams of live runs ended with their run.finished; streams following other processes end here.
        stop.abort()
        // The close waits for every connection. Node.js closes those idle when it starts; one that
        // becomes idle later (a response still ending then) is closed as soon as it is, and any still
        // open after the grace period is cut, so a shutdown never waits on a client's keep-alive.
        const sweep = setInterval(() => app.server.closeIdleConnections(), 50)
        const cut = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS)
        try {
          await app.close()
        } finally {
          clearInterval(sweep)
          clearTimeout(cut)
        }
        clearInterval(keyUseTimer)
        flushKeyUse()
      })()
      return closing
    },
  }
}
