// The typed client of `orca serve` (`orca-runner/client`): its types are generated from the server's
// OpenAPI document (./openapi.ts); at run time it needs nothing but the platform's `fetch`.
import type {components, operations} from './openapi.js'

export type {components, operations, paths} from './openapi.js'

type Schemas = components['schemas']
/** What `fetch` accepts as a body. */
type BodyInit = NonNullable<RequestInit['body']>
export type RunRecord = Schemas['RunRecord']
export type RunList = Schemas['RunList']
export type OrcaEvent = Schemas['Event']
export type SubmittedRun = Schemas['SubmittedRun']
export type Artifact = Schemas['Artifact']
export type Cancelling = Schemas['Cancelling']
export type Health = Schemas['Health']
export type Tree = Schemas['Tree']
export type ErrorBody = Schemas['Error']
export type RunSubmission = NonNullable<operations['createRun']['requestBody']>['content']['application/json']
export type StoredUploads = Schemas['StoredUploads']

export interface ClientOptions {
  /** Where the server is, e.g. `http://127.0.0.1:7077`. */
  baseUrl: string
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string
  /** Another `fetch` (tests, proxies); default the global one. */
  fetch?: typeof fetch
}

/** A reply that is not a success: the server's `{"error": {"code", "message"}}`, with the HTTP status. */
export class OrcaApiError extends Error {
  override name = 'OrcaApiError'
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly diagnostics?: ErrorBody['error']['diagnostics'],
  ) {
    super(message)
  }
}

/** What `events()` yields after the last event of a run: how it ended. */
export interface StreamEnd {
  runId: string
  status: string
  lastSeq: number
}

export interface OrcaClient {
  health(): Promise<Health>
  listRuns(query?: {limit?: number; before?: string}): Promise<RunList>
  /** `ref` is a run id or `latest`. */
  getRun(ref: string): Promise<RunRecord>
  createRun(body: RunSubmission, options?: {idempotencyKey?: string}): Promise<SubmittedRun>
  cancelRun(ref: string, options?: {force?: boolean}): Promise<Cancelling>
  /** The run's events in order, from after `afterSeq`; reconnects (resuming) when the connection drops, ends after `run.finished`. */
  events(ref: string, options?: {afterSeq?: number; signal?: AbortSignal}): AsyncGenerator<OrcaEvent, StreamEnd | undefined>
  jobLog(ref: string, job: string): Promise<string>
  listArtifacts(ref: string): Promise<Artifact[]>
  /** One artifact's bytes as a stream (the caller checks them against the listed sha256). */
  downloadArtifact(ref: string, job: string, path: string): Promise<ReadableStream<Uint8Array>>
  /** Which of these SHA-256 digests the server lacks. */
  missingUploads(digests: string[]): Promise<string[]>
  /** Stores content by digest: a tar whose entries are named by the SHA-256 of their bytes. */
  uploadBlobs(tar: BodyInit, options?: {length?: number}): Promise<StoredUploads>
}

/** How many times a dropped event stream is resumed before giving up. */
const RECONNECTS = 5

/** A client of one server. */
export function createClient(options: ClientOptions): OrcaClient {
  const base = options.baseUrl.replace(/\/+$/, '')
  const fetchImpl = options.fetch ?? globalThis.fetch
  const headers = (extra: Record<string, string> = {}): Record<string, string> =>
    options.token === undefined || options.token === '' ? extra : {authorization: `Bearer ${options.token}`, ...extra}

  const request = async (method: string, path: string, init: {body?: BodyInit; headers?: Record<string, string>; signal?: AbortSignal} = {}): Promise<Response> => {
    const response = await fetchImpl(`${base}${path}`, {method, headers: headers(init.headers), body: init.body, signal: init.signal, ...(isStream(init.body) ? {duplex: 'half'} : {})} as RequestInit)
    if (!response.ok) throw await apiError(response)
    return response
  }
  const json = async <T>(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<T> => {
    const init = body === undefined ? {headers: extra} : {body: JSON.stringify(body), headers: {'content-type': 'application/json', ...extra}}
    return (await (await request(method, path, init)).json()) as T
  }
  const run = (ref: string): string => `/v1/runs/${encodeURIComponent(ref)}`

  return {
    health: () => json('GET', '/healthz'),
    listRuns: (query = {}) => {
      const search = new URLSearchParams()
      if (query.limit !== undefined) search.set('limit', String(query.limit))
      if (query.before !== undefined) search.set('before', query.before)
      const text = search.toString()
      return json('GET', `/v1/runs${text === '' ? '' : `?${text}`}`)
    },
    getRun: (ref) => json('GET', run(ref)),
    createRun: (body, {idempotencyKey} = {}) => json('POST', '/v1/runs', body, idempotencyKey === undefined ? {} : {'idempotency-key': idempotencyKey}),
    cancelRun: (ref, {force = false} = {}) => json('POST', `${run(ref)}/cancel${force ? '?force=true' : ''}`),
    async *events(ref, {afterSeq = 0, signal} = {}) {
      let last = afterSeq
      for (let attempt = 0; ; attempt++) {
        let response: Response
        try {
          response = await request('GET', `${run(ref)}/events`, {headers: {accept: 'text/event-stream', ...(last > 0 ? {'last-event-id': String(last)} : {})}, signal})
        } catch (error) {
          if (error instanceof OrcaApiError || signal?.aborted || attempt >= RECONNECTS) throw error
          await pause(1000)
          continue
        }
        // 204: the run has finished and every event was seen.
        if (response.status === 204 || response.body === null) return undefined
        try {
          for await (const message of sseMessages(response.body)) {
            if (message.event === 'end') return JSON.parse(message.data) as StreamEnd
            const event = JSON.parse(message.data) as OrcaEvent
            last = event.seq
            yield event
          }
        } catch (error) {
          if (signal?.aborted || attempt >= RECONNECTS) throw error
        }
        // The connection dropped before the end: resume after the last event seen.
        if (attempt >= RECONNECTS) throw new Error(`the event stream of run ${ref} ended early ${RECONNECTS + 1} times`)
        await pause(1000)
      }
    },
    jobLog: async (ref, job) => (await request('GET', `${run(ref)}/logs/${encodeURIComponent(job)}`)).text(),
    listArtifacts: async (ref) => (await json<{artifacts: Artifact[]}>('GET', `${run(ref)}/artifacts`)).artifacts,
    downloadArtifact: async (ref, job, path) => {
      const response = await request('GET', `${run(ref)}/artifacts/${encodeURIComponent(job)}/${path.split('/').map(encodeURIComponent).join('/')}`)
      return response.body ?? new ReadableStream({start: (controller) => controller.close()})
    },
    missingUploads: async (digests) => (await json<{missing: string[]}>('POST', '/v1/uploads/missing', {digests})).missing,
    uploadBlobs: async (tar, {length} = {}) =>
      (await (await request('POST', '/v1/uploads', {body: tar, headers: {'content-type': 'application/x-tar', ...(length === undefined ? {} : {'content-length': String(length)})}})).json()) as StoredUploads,
  }
}

function isStream(body: unknown): boolean {
  return typeof body === 'object' && body !== null && typeof (body as {getReader?: unknown}).getReader === 'function'
}

async function apiError(response: Response): Promise<OrcaApiError> {
  const text = await response.text().catch(() => '')
  try {
    const {error} = JSON.parse(text) as ErrorBody
    return new OrcaApiError(response.status, error.code, error.message, error.hint, error.diagnostics)
  } catch {
    return new OrcaApiError(response.status, 'http_error', `HTTP ${response.status} ${response.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`)
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Server-Sent Events messages of a body: `event` (default `message`), `data` (its lines joined), `id`. */
export async function* sseMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<{event: string; data: string; id?: string}> {
  const decoder = new TextDecoder()
  const reader = body.getReader()
  let buffer = ''
  let message: {event: string; data: string[]; id?: string} = {event: 'message', data: []}
  try {
    for (;;) {
      const {done, value} = await reader.read()
      if (done) return
      buffer += decoder.decode(value, {stream: true})
      let newline: number
      while ((newline = buffer.search(/\r\n|\r|\n/)) !== -1) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1))
        if (line === '') {
          if (message.data.length > 0) yield {event: message.event, data: message.data.join('\n'), ...(message.id === undefined ? {} : {id: message.id})}
          message = {event: 'message', data: []}
          continue
        }
        if (line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const field = colon === -1 ? line : line.slice(0, colon)
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'data') message.data.push(value)
        else if (field === 'event') message.event = value
        else if (field === 'id') message.id = value
      }
    }
  } finally {
    reader.releaseLock()
    await body.cancel().catch(() => undefined)
  }
}
