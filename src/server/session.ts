import {randomBytes} from 'node:crypto'

import type {FastifyInstance, FastifyRequest} from 'fastify'

import {isLoopbackHost} from './guards.js'
import {HttpError} from './http-error.js'
import {COMMON_ERRORS} from './openapi.js'
import {SECURITY} from './routes/context.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What a caller must be allowed to do to reach the route. */
    scope?: 'read' | 'run' | 'sandbox' | 'admin'
  }
}

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
  private readonly expiry = new Map<string, number>()

  constructor(private readonly now: () => number = Date.now) {}

  /** A new session id, valid for 12 hours. */
  open(): string {
    this.sweep()
    // The oldest session goes first when a client opens sessions without end.
    if (this.expiry.size >= MAX_SESSIONS) this.expiry.delete(this.expiry.keys().next().value as string)
    const id = randomBytes(32).toString('base64url')
    this.expiry.set(id, this.now() + SESSION_TTL_MS)
    return id
  }

  close(id: string | undefined): void {
    if (id !== undefined) this.expiry.delete(id)
  }

  /**
   * Whether a request without `Authorization` is authenticated by its session cookie. Throws a 403
   * when it is but changes state without the custom request header (a cross-site request forgery).
   */
  admits(request: FastifyRequest): boolean {
    const id = sessionIdOf(request.headers.cookie)
    if (id === undefined || request.headers.authorization !== undefined) return false
    const expires = this.expiry.get(id)
    if (expires === undefined) return false
    if (expires <= this.now()) {
      this.expiry.delete(id)
      return false
    }
    if (STATE_CHANGING.has(request.method) && request.headers[REQUEST_HEADER] !== '1') {
      throw new HttpError(403, 'missing_request_header', `a request authenticated by the session cookie that changes state must send "X-Orca-Request: 1"`)
    }
    return true
  }

  private sweep(): void {
    const now = this.now()
    for (const [id, expires] of this.expiry) if (expires <= now) this.expiry.delete(id)
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
      const id = sessions.open()
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
