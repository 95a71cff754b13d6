import type {Diagnostic} from '../engine/errors.js'
import {ConfigError, OrcaError} from '../engine/errors.js'

/** The JSON body of every error response: `{"error": {"code", "message"}}` (docs/serve.md). */
export interface ErrorBody {
  error: {
    /** Stable, machine-readable: `not_found`, `invalid_pipeline`, `unauthorized`, … */
    code: string
    message: string
    /** Positioned problems in the pipeline or configuration (`invalid_pipeline`). */
    diagnostics?: Diagnostic[]
    hint?: string
  }
}

/** An error that becomes an HTTP response with a stable code; anything else is a 500. */
export class HttpError extends Error {
  readonly statusCode: number
  readonly code: string
  readonly diagnostics?: Diagnostic[]
  readonly hint?: string
  readonly headers: Record<string, string>

  constructor(statusCode: number, code: string, message: string, options: {diagnostics?: Diagnostic[]; hint?: string; headers?: Record<string, string>} = {}) {
    super(message)
    this.name = 'HttpError'
    this.statusCode = statusCode
    this.code = code
    this.diagnostics = options.diagnostics
    this.hint = options.hint
    this.headers = options.headers ?? {}
  }

  get body(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.diagnostics ? {diagnostics: this.diagnostics} : {}),
        ...(this.hint ? {hint: this.hint} : {}),
      },
    }
  }
}

/** What a user mistake found by the engine (bad jobs.yml, unknown target) means over HTTP. */
function httpErrorFromOrca(error: OrcaError): HttpError {
  if (error instanceof ConfigError) return new HttpError(422, 'invalid_pipeline', error.message, {diagnostics: error.diagnostics, hint: error.hint})
  if (error.kind === 'config' || error.kind === 'usage') return new HttpError(422, 'invalid_run_request', error.message, {hint: error.hint})
  if (error.kind === 'infra') return new HttpError(503, 'engine_unavailable', error.message, {hint: error.hint})
  return new HttpError(500, 'internal', 'internal error')
}

/** Maps the errors fastify raises itself (bad JSON, wrong content type, body too large) to our codes. */
function httpErrorFromFramework(error: {statusCode?: number; code?: string; message: string; validation?: unknown}): HttpError {
  if (error.validation) return new HttpError(400, 'invalid_request', error.message)
  const status = error.statusCode ?? 500
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(415, 'unsupported_media_type', 'request bodies must be application/json')
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(413, 'payload_too_large', error.message)
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HttpError(400, 'invalid_request', error.message)
    default:
      break
  }
  if (error instanceof SyntaxError || status === 400) return new HttpError(400, 'invalid_json', 'the request body is not valid JSON')
  if (status >= 400 && status < 500) return new HttpError(status, 'invalid_request', error.message)
  return new HttpError(500, 'internal', 'internal error')
}

/** Any error thrown by a handler, as the response to send. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error
  if (error instanceof OrcaError) return httpErrorFromOrca(error)
  if (error && typeof error === 'object' && 'message' in error) return httpErrorFromFramework(error as {message: string})
  return new HttpError(500, 'internal', 'internal error')
}
