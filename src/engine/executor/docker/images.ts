import type Docker from 'dockerode'
import {OrcaError} from '../../errors.js'
import {assertImageReference} from '../../pipeline/image-reference.js'
import type {ExecutorEvent} from '../types.js'
import {dockerMessage, statusCode, withTimeout} from './call.js'

/** A pull that reports nothing for this long is given up. */
const PULL_IDLE_MS = 120_000

/** The image ID of `ref`, pulling it first when it is not on the engine. */
export async function ensureImage(
  docker: Docker,
  ref: string,
  signal: AbortSignal,
  onEvent?: (event: ExecutorEvent) => void,
): Promise<string> {
  // Checked again here: an image may come from elsewhere than a loaded jobs.yml (an API caller).
  assertImageReference(ref, 'image')
  const local = await inspectImage(docker, ref)
  if (local) return local
  try {
    await pull(docker, ref, signal, onEvent)
  } catch (error) {
    if (error instanceof OrcaError && error.kind === 'cancelled') throw error
    throw new OrcaError('infra', `could not pull image "${ref}": ${dockerMessage(error)}`, {
      cause: error,
      hint: pullHint(ref),
    })
  }
  const pulled = await inspectImage(docker, ref)
  if (!pulled) throw new OrcaError('infra', `could not pull image "${ref}": the engine does not list it after the pull`)
  return pulled
}

/** What to try when a pull failed: the name, the registry's login, a local build, or other images for the pipeline. */
export function pullHint(ref: string): string {
  // The first part of a reference names a registry when it looks like a host (`ghcr.io/…`, `localhost:5000/…`).
  const first = ref.split('/')[0]!
  const registry = ref.includes('/') && (/[.:]/.test(first) || first === 'localhost') ? ` ${first}` : ''
  return (
    `check the image name and tag; if its registry needs credentials, log in first (docker login${registry}); ` +
    `or build it locally (docker build -t ${ref} .); ` +
    'or use images you can pull: set image: in jobs.yml, or start over with orca init --force --image IMAGE'
  )
}

async function inspectImage(docker: Docker, ref: string): Promise<string | undefined> {
  try {
    // One path segment: a reference holds "/" (and ":"), which the engine decodes back.
    return (await withTimeout(docker.getImage(encodeURIComponent(ref)).inspect(), `inspect image ${ref}`)).Id
  } catch (error) {
    if (statusCode(error) === 404) return undefined
    if (error instanceof OrcaError) throw error
    throw new OrcaError('infra', `could not inspect image "${ref}": ${dockerMessage(error)}`, {cause: error})
  }
}

interface PullProgress {
  status?: string
  id?: string
  error?: string
  progressDetail?: {current?: number; total?: number}
}

async function pull(docker: Docker, ref: string, signal: AbortSignal, onEvent?: (event: ExecutorEvent) => void): Promise<void> {
  if (signal.aborted) throw new OrcaError('cancelled', 'cancelled before pulling images')
  const stream = (await withTimeout(docker.pull(ref), `pull ${ref}`)) as NodeJS.ReadableStream & {destroy(error?: Error): void}
  await new Promise<void>((resolve, reject) => {
    let idle: NodeJS.Timeout | undefined
    const arm = (): void => {
      clearTimeout(idle)
      idle = setTimeout(() => finish(new Error(`no progress for ${PULL_IDLE_MS / 1000}s`)), PULL_IDLE_MS)
    }
    const onAbort = (): void => finish(new OrcaError('cancelled', `pull of "${ref}" cancelled`))
    const finish = (error?: Error | null): void => {
      clearTimeout(idle)
      signal.removeEventListener('abort', onAbort)
      if (error) {
        stream.destroy()
        reject(error)
      } else {
        resolve()
      }
    }
    signal.addEventListener('abort', onAbort, {once: true})
    arm()
    docker.modem.followProgress(
      stream,
      (error: Error | null) => finish(error),
      (event: PullProgress) => {
        arm()
        if (event.error) return
        onEvent?.({
          type: 'image.pull',
          image: ref,
          status: event.id ? `${event.id}: ${event.status ?? ''}` : (event.status ?? ''),
          current: event.progressDetail?.current,
          total: event.progressDetail?.total,
        })
      },
    )
  })
}
