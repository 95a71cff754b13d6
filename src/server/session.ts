import {randomBytes} from 'node:crypto'

import type {FastifyInstance, FastifyRequest} from 'fastify'

import {OPEN_PRINCIPAL, type RouteNeed} from './auth/authorize.js'
import type {Principal} from './auth/key-store.js'
import {grants} from './auth/scopes.js'
import {isLoopbackHost} from './guards.js'
import {HttpError} from './http-error.js'
import {COMMON_ERRORS} from './openapi.js'
import {SECURITY} from './routes/context.js'

export const SESSION_COOKIE = 'orca_session'
/** The header a cookie-authenticated request that changes state must carry: a cross-site form or image cannot send it. */
export const REQUEST_HEADER = 'x-orca-request'
const SESSION_TTL_MS = 12 * 60 * 60 * 1000
const MAX_SESSIONS = 10_000
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * Browser sessions: a bearer token exchanged once for a random id kept here in memory (a restart
 * logs every browser out), sent back as an HttpOnly, SameSite=Strict cookie. A browser cannot put
 * `Authorization` on an EventSource or a download link; the cookie goes on both.
 */
export class Sessions {
  private readonly sessions = new Map<string, {expires: number; principal: Principal}>()

  constructor(private readonly now: () => number = Date.now) {}

  /** A new session id for the key (its scopes) that opened it, valid for 12 hours. */
  open(principal: Principal): string {
    this.sweep()
    // The oldest session goes first when a client opens sessions without end.
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string)
    const id = randomBytes(32).toString('base64url')
    this.sessions.set(id, {expires: this.now() + SESSION_TTL_MS, principal})
    return id
  }

  close(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(id)
  }

  /**
   * Who a request without `Authorization` is, by its session cookie: the key that opened the session;
   * undefined when it has no live session (the key check decides then). Throws a 403 when the key
   * lacks the route's scope, or when the request changes state without the custom request header
   * (a cross-site request forgery).
   */
  authorize(request: FastifyRequest, need: RouteNeed): Principal | undefined {
    if ('public' in need || request.headers.authorization !== undefined) return undefined
    const id = sessionIdOf(request.headers.cookie)
    const session = id === undefined ? undefined : this.sessions.get(id)
    if (id === undefined || session === undefined) return undefined
    if (session.expires <= this.now()) {
      this.sessions.delete(id)
      return undefined
    }
    if (STATE_CHANGING.has(request.method) && request.headers[REQUEST_HEADER] !== '1') {
      throw new HttpError(403, 'missing_request_header', `a request authenticated by the session cookie that changes state must send "X-Orca-Request: 1"`)
    }
    if (need.scope !== undefined && !grants(session.principal.scopes, need.scope)) {
      throw new HttpError(403, 'insufficient_scope', `this route needs a key with the ${need.scope} scope; key ${session.principal.name} has ${session.principal.scopes.join(', ')}`)
    }
    return session.principal
  }

  private sweep(): void {
    const now = this.now()
    for (const [id, session] of this.sessions) if (session.expires <= now) this.sessions.delete(id)
  }
}

/** The session id in a Cookie header, if any. */
export function sessionIdOf(cookie: string | undefined): string | undefined {
  if (cookie === undefined) return undefined
  for (const part of cookie.split(';')) {
    const [name, ...value] = part.trim().split('=')
    if (name === SESSION_COOKIE) return value.join('=')
  }
  return undefined
}

/** The Set-Cookie value for a session id; `Secure` unless the browser talks plain HTTP to a loopback address. */
export function sessionCookie(id: string, request: FastifyRequest, maxAgeSeconds: number): string {
  const host = (request.headers.host ?? '').replace(/:\d+$/, '')
  const secure = request.protocol === 'https' || !isLoopbackHost(host)
  return [`${SESSION_COOKIE}=${id}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`, ...(secure ? ['Secure'] : [])].join('; ')
}

/** POST /v1/session (the bearer token, or an existing session, for a cookie) and DELETE /v1/session (log out). */
export function registerSessionRoutes(app: FastifyInstance, sessions: Sessions): void {
  const schema = (operationId: string, summary: string) => ({
    operationId,
    summary,
    tags: ['session'],
    security: SECURITY,
    response: {204: {description: 'Done; the cookie is in Set-Cookie.', type: 'null'}, ...COMMON_ERRORS},
  })
  app.post(
    '/v1/session',
    {config: {scope: 'read'}, schema: schema('openSession', 'Exchange the bearer token for an HttpOnly session cookie (for browsers)')},
    async (request, reply) => {
      sessions.close(sessionIdOf(request.headers.cookie))
      // The session has the scopes of the key it was exchanged for.
      const id = sessions.open(request.principal ?? OPEN_PRINCIPAL)
      return reply.code(204).header('set-cookie', sessionCookie(id, request, SESSION_TTL_MS / 1000)).header('cache-control', 'no-store').send()
    },
  )
  app.delete(
    '/v1/session',
    {config: {scope: 'read'}, schema: schema('closeSession', 'Log out: forget the session and clear its cookie')},
    async (request, reply) => {
      sessions.close(sessionIdOf(request.headers.cookie))
      return reply.code(204).header('set-cookie', sessionCookie('', request, 0)).send()
    },
  )
}
