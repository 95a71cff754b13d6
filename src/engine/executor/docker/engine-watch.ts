import type Docker from 'dockerode'
import {formatDuration} from '../../duration.js'
import {OrcaError} from '../../errors.js'
import {dockerMessage, withTimeout} from './call.js'

/** How long the engine may take to answer a ping during a job, unless ORCA_DOCKER_TIMEOUT says otherwise. */
export const ENGINE_TIMEOUT_MS = 20_000

/** The job's container, once it exists, and what to do should it be removed from under the job. */
export interface WatchedContainer {
  current: () => Docker.Container | undefined
  onGone: (message: string) => void
}

/**
 * Pings the engine while a job runs, so a daemon that died or hangs (SIGSTOP, a wedged socket) ends
 * the job within about `timeoutMs` instead of leaving an exec stream open forever. Calls `onLost`
 * once, after a ping that timed out or two in a row that failed. Once the job's container exists the
 * ping is an inspection of it: a container removed by someone else (`docker rm -f`, another process's
 * `orca clean`) calls `onGone`, since the engine may leave a step's exec running after the removal.
 * Returns a function that stops it.
 */
export function watchEngine(docker: Docker, timeoutMs: number, onLost: (message: string) => void, watched?: WatchedContainer): () => void {
  const interval = Math.max(250, Math.min(5_000, Math.floor(timeoutMs / 4)))
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let failures = 0
  const tick = async (): Promise<void> => {
    try {
      const container = watched?.current()
      if (container === undefined) await withTimeout(docker.ping(), 'ping', timeoutMs)
      else if (!(await exists(container, timeoutMs))) {
        stopped = true
        watched!.onGone(`the job's container ${container.id.slice(0, 12)} was removed while the job ran (docker rm, orca clean or another program)`)
        return
      }
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

/** Whether the engine still has the container (an inspection; a 404 is its absence, other errors throw). */
async function exists(container: Docker.Container, timeoutMs: number): Promise<boolean> {
  try {
    await withTimeout(container.inspect(), 'inspect container', timeoutMs)
    return true
  } catch (error) {
    if ((error as {statusCode?: number}).statusCode === 404) return false
    throw error
  }
}
