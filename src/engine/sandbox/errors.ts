import {OrcaError} from '../errors.js'

/**
 * Why a sandbox request cannot be done, as a stable code the server maps to a status:
 * `not_found` 404, `image_not_allowed` 403, `not_running` 409 (gone or expired), `no_network` 409,
 * `limit_reached` 429, `invalid_path` / `invalid_request` 400, `unsafe_archive` 400.
 */
export type SandboxErrorCode = 'not_found' | 'image_not_allowed' | 'not_running' | 'no_network' | 'limit_reached' | 'invalid_path' | 'invalid_request' | 'unsafe_archive'

export class SandboxError extends OrcaError {
  constructor(
    readonly code: SandboxErrorCode,
    message: string,
    options: {hint?: string; cause?: unknown} = {},
  ) {
    super('usage', message, options)
    this.name = 'SandboxError'
  }
}
