// Every call the page makes to the API: same origin, the session cookie (never a token in a URL),
// and the header a cross-site page cannot send, which the server requires on state-changing calls.
import type {RunRecord} from '../src/engine/records/record.js'

export class Unauthorized extends Error {}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message)
  }
}

/** Called when a call is refused for want of a session: the app shows the login form. */
let onUnauthorized: () => void = () => undefined
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler
}

export async function api<T>(path: string, init: {method?: string; body?: unknown} = {}): Promise<T> {
  const headers: Record<string, string> = {'x-orca-request': '1'}
  if (init.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    credentials: 'same-origin',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
  if (response.status === 401) {
    onUnauthorized()
    throw new Unauthorized('not logged in')
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => undefined)) as {error?: {message?: string}} | undefined
    throw new ApiError(response.status, body?.error?.message ?? `${response.status} ${response.statusText}`)
  }
  if (response.status === 204 || response.status === 202 && response.headers.get('content-length') === '0') return undefined as T
  const type = response.headers.get('content-type') ?? ''
  return (type.includes('json') ? await response.json() : await response.text()) as T
}

/** Exchanges the token for the session cookie; the token is sent once, in a header, and not kept. */
export async function logIn(token: string): Promise<boolean> {
  const response = await fetch('/v1/session', {method: 'POST', credentials: 'same-origin', headers: {authorization: `Bearer ${token}`, 'x-orca-request': '1'}})
  return response.ok
}

export async function logOut(): Promise<void> {
  await fetch('/v1/session', {method: 'DELETE', credentials: 'same-origin', headers: {'x-orca-request': '1'}})
}

export interface RunsPage {
  runs: RunRecord[]
  next: string | null
}

export interface ArtifactEntry {
  job: string
  path: string
  size: number
  sha256: string
  url: string
}

export interface RunGraph {
  needs: Record<string, string[]>
  fromFile: boolean
}
