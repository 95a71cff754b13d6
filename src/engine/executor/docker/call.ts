import {OrcaError} from '../../errors.js'

/** Default bound on one Docker API call, so a stuck daemon never hangs a run. */
export const API_TIMEOUT_MS = 30_000

let defaultTimeoutMs = API_TIMEOUT_MS

/** Sets the bound of every call that names none (`ORCA_DOCKER_TIMEOUT`); a process talks to one engine. */
export function setDefaultCallTimeout(ms: number): void {
  defaultTimeoutMs = ms
}

/** Resolves like `promise`, or rejects with an infra error naming `what` after `ms`. */
export async function withTimeout<T>(promise: Promise<T>, what: string, ms = defaultTimeoutMs): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OrcaError('infra', `Docker did not answer within ${ms} ms (${what})`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** The HTTP status of a docker-modem error, if any. */
export function statusCode(error: unknown): number | undefined {
  const code = (error as {statusCode?: unknown} | undefined)?.statusCode
  return typeof code === 'number' ? code : undefined
}

/** A short message for a Docker error: the daemon's own `message` when it sent one. */
export function dockerMessage(error: unknown): string {
  const json = (error as {json?: {message?: unknown}} | undefined)?.json
  if (json && typeof json.message === 'string') return json.message
  return error instanceof Error ? error.message : String(error)
}
