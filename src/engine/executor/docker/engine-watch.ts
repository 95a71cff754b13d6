import type Docker from 'dockerode'
import {formatDuration} from '../../duration.js'
import {OrcaError} from '../../errors.js'
import {dockerMessage, withTimeout} from './call.js'

/** How long the engine may take to answer a ping during a job, unless ORCA_DOCKER_TIMEOUT says otherwise. */
export const ENGINE_TIMEOUT_MS = 20_000

/**
 * Pings the engine while a job runs, so a daemon that died or hangs (SIGSTOP, a wedged socket) ends
 * the job within about `timeoutMs` instead of leaving an exec stream open forever. Calls `onLost`
 * once, after a ping that timed out or two in a row that failed. Returns a function that stops it.
 */
export function watchEngine(docker: Docker, timeoutMs: number, onLost: (message: string) => void): () => void {
  const interval = Math.max(250, Math.min(5_000, Math.floor(timeoutMs / 4)))
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let failures = 0
  const tick = async (): Promise<void> => {
    try {
      await withTimeout(docker.ping(), 'ping', timeoutMs)
      failures = 0
    } catch (error) {
      failures++
      // withTimeout's own error: the engine took the whole bound, so it is hung, not flaky.
      const timedOut = error instanceof OrcaError
      if (stopped) return
      if (timedOut || failures >= 2) {
        stopped = true
        onLost(
          timedOut
            ? `the Docker engine stopped answering during the job (no answer to a ping within ${formatDuration(timeoutMs)})`
            : `the Docker engine went away during the job (${dockerMessage(error)})`,
        )
        return
      }
    }
    if (!stopped) timer = setTimeout(() => void tick(), failures > 0 ? 1_000 : interval)
  }
  timer = setTimeout(() => void tick(), interval)
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}
