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

/** Podman fails a whole listing when one of the things listed is removed by someone else during it. */
const VANISHED_DURING_LISTING = /image not known|no such image|no such container|no such volume|network not found/i

/**
 * A listing call (containers, images, volumes, networks), bounded like `withTimeout`, asked again (up to
 * `attempts` times, `pauseMs` apart) when the engine failed it because something it was listing vanished
 * meanwhile (Podman: "image not known"): another run or test removing its own resources is no failure
 * of this listing. Any other error is thrown at once.
 */
export async function listing<T>(call: () => Promise<T>, what: string, options: {attempts?: number; pauseMs?: number} = {}): Promise<T> {
  const attempts = options.attempts ?? 5
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTimeout(call(), what)
    } catch (error) {
      if (attempt >= attempts || error instanceof OrcaError || !VANISHED_DURING_LISTING.test(dockerMessage(error))) throw error
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 100))
    }
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
