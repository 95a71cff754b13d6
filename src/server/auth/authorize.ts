import {HttpError} from '../http-error.js'
import {bearerMatches} from '../guards.js'
import type {KeyStore, Principal} from './key-store.js'
import {grants, type Scope} from './scopes.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a key needs to call the route (`admin` implies every scope). */
    scope?: 'read' | 'run' | 'sandbox' | 'admin'
  }
  interface FastifyRequest {
    /** Who made the request, once the auth hook accepted it (the rate limits and quotas count per principal). */
    principal?: Principal
  }
}

/** The server's `--token`: a key with every scope, as before keys existed. */
export const TOKEN_PRINCIPAL: Principal = {id: 'token', name: 'token', scopes: ['admin']}
/** Who calls a loopback server that has neither a token nor a key file (every scope, as before keys existed). */
export const OPEN_PRINCIPAL: Principal = {id: 'open', name: 'open', scopes: ['admin']}

export interface Credentials {
  token?: string
  keys: KeyStore
}

/** What a route asks of a caller: nothing (public), a valid key with a scope, or (unmatched paths) any valid key. */
export type RouteNeed = {public: true} | {scope: Scope | undefined}

/**
 * Decides who a request is and whether it may call the route: 401 without a valid key (or token),
 * 403 with a key that lacks the route's scope. Auth is on when the server has a token or a key file.
 */
export function authorize(authorization: string | undefined, need: RouteNeed, credentials: Credentials): Principal | undefined {
  if ('public' in need) return undefined
  const required = credentials.token !== undefined || credentials.keys.enabled
  const principal = required ? identify(authorization, credentials) : OPEN_PRINCIPAL
  if (need.scope !== undefined && !grants(principal.scopes, need.scope)) {
    throw new HttpError(403, 'insufficient_scope', `this route needs a key with the ${need.scope} scope; key ${principal.name} has ${principal.scopes.join(', ')}`)
  }
  return principal
}

function identify(authorization: string | undefined, credentials: Credentials): Principal {
  const presented = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '')?.[1]
  if (presented !== undefined) {
    if (credentials.token !== undefined && bearerMatches(authorization, credentials.token)) return TOKEN_PRINCIPAL
    const checked = credentials.keys.check(presented)
    if (checked.ok) return checked.principal
    // Revoked and expired keys are named as such: the caller holds the secret, so this tells nothing new.
    if (checked.reason !== 'unknown') throw unauthorized(`the key is ${checked.reason}`)
  }
  throw unauthorized('a valid API key is required (Authorization: Bearer <key>)')
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, 'unauthorized', message, {headers: {'www-authenticate': 'Bearer realm="orca"'}})
}

/** The OpenAPI security scheme: an API key (or the server's token) as a bearer token. */
export const BEARER_SCHEME = {
  type: 'http',
  scheme: 'bearer',
  description: 'An API key from `orca serve keys add` (or the server\'s --token, which has every scope). Each operation lists the scope it needs (`admin` implies all).',
}

/** An operation's schema with its `security` (the bearer scheme naming the route's scope) and `x-orca-scope`. */
export function withScope<S extends object>(schema: S, config: {public?: boolean; scope?: Scope} | undefined): S {
  if (config?.public === true) return schema
  const scope = config?.scope ?? 'admin'
  return {...schema, security: [{bearer: [scope]}], 'x-orca-scope': scope}
}
