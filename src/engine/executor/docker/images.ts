import type Docker from 'dockerode'
import {OrcaError} from '../../errors.js'
import {assertImageReference} from '../../pipeline/image-reference.js'
import type {PullPolicy} from '../../pipeline/types.js'
import type {ExecutorEvent} from '../types.js'
import {dockerMessage, statusCode, withTimeout} from './call.js'
import {registryOf, type RegistryAuth} from './registry-auth.js'

/** A pull that reports nothing for this long is given up. */
const PULL_IDLE_MS = 120_000

/** How an image reference is made present: when to pull, for which platform, with which credentials. */
export interface PullOptions {
  /** Default `missing`. */
  pull?: PullPolicy
  /** `os/arch[/variant]`; the image found or pulled must be of it. */
  platform?: string
  /** Credentials for the image's registry, looked up only when a pull happens. */
  auth?: (registry: string) => RegistryAuth | undefined
}

/** The image ID of `ref`, pulling it as its policy says (default: only when the engine does not have it). */
export async function ensureImage(
  docker: Docker,
  ref: string,
  signal: AbortSignal,
  onEvent?: (event: ExecutorEvent) => void,
  options: PullOptions = {},
): Promise<string> {
  // Checked again here: an image may come from elsewhere than a loaded jobs.yml (an API caller).
  assertImageReference(ref, 'image')
  const policy = options.pull ?? 'missing'
  const local = policy === 'always' ? undefined : await inspectImage(docker, ref)
  const decision = pullDecision(policy, local && platformOf(local), options.platform)
  if (decision === 'use') return local!.Id
  if (decision !== 'pull') {
    throw new OrcaError('infra', `image "${ref}" is not there and pull: never forbids pulling it: ${decision.refuse}`, {
      hint: `pull or build it first (docker pull ${ref}), or set pull: missing`,
    })
  }
  let reported: string | undefined
  try {
    reported = await pull(docker, ref, signal, onEvent, options)
  } catch (error) {
    if (error instanceof OrcaError && error.kind === 'cancelled') throw error
    throw pullError(ref, error)
  }
  const pulled = await inspectImage(docker, ref)
  // Podman ends a failed pull's stream without an error status, its reason only in a progress message.
  if (!pulled) throw reported === undefined ? new OrcaError('infra', `could not pull image "${ref}": the engine does not list it after the pull`) : pullError(ref, new Error(reported))
  if (options.platform !== undefined && !samePlatform(platformOf(pulled), options.platform)) {
    throw new OrcaError('infra', `image "${ref}" is ${platformOf(pulled)}, not the ${options.platform} the job asks for`, {
      hint: `the registry has no ${options.platform} variant of it; choose another platform or image`,
    })
  }
  return pulled.Id
}

/**
 * Whether to use the image the engine has (`localPlatform`: its platform, undefined when it has none),
 * pull it, or refuse: `always` pulls; `missing` pulls what is absent or of another platform; `never` refuses then.
 */
export function pullDecision(policy: PullPolicy, localPlatform: string | undefined, wanted: string | undefined): 'use' | 'pull' | {refuse: string} {
  if (policy === 'always') return 'pull'
  if (localPlatform !== undefined && (wanted === undefined || samePlatform(localPlatform, wanted))) return 'use'
  if (policy === 'missing') return 'pull'
  return {refuse: localPlatform === undefined ? 'the engine does not have it' : `the engine has it only for ${localPlatform}, not ${wanted}`}
}

/** A pull the engine refused, worded by why: credentials (and how to log in) or the name. */
export function pullError(ref: string, error: unknown): OrcaError {
  const message = dockerMessage(error)
  const registry = registryOf(ref)
  if (isAuthRefusal(message)) {
    const login = registry === 'docker.io' ? 'docker login' : `docker login ${registry}`
    return new OrcaError('infra', `could not pull image "${ref}": registry ${registry} refused it without valid credentials (${message})`, {
      cause: error,
      hint: `log in with ${login}, or give orca credentials for ${registry} in ORCA_REGISTRY_AUTH or registries: in orca.config.yml`,
    })
  }
  return new OrcaError('infra', `could not pull image "${ref}": ${message}`, {cause: error, hint: pullHint(ref)})
}

/** Whether an engine's pull error says the registry wants (other) credentials. */
export function isAuthRefusal(message: string): boolean {
  return /unauthorized|authentication required|no basic auth credentials|access to the requested resource is not authorized|denied: requested access/i.test(message)
}

/** What to try when a pull failed: the name, the registry's login, a local build, or other images for the pipeline. */
export function pullHint(ref: string): string {
  const registry = registryOf(ref)
  return (
    `check the image name and tag; if its registry needs credentials, log in first (docker login${registry === 'docker.io' ? '' : ` ${registry}`}); ` +
    `or build it locally (docker build -t ${ref} .); ` +
    'or use images you can pull: set image: in jobs.yml, or start over with orca init --force --image IMAGE'
  )
}

/** `os/arch[/variant]` of an inspected image. */
export function platformOf(image: {Os?: string; Architecture?: string; Variant?: string}): string {
  return [image.Os ?? 'linux', image.Architecture ?? 'unknown', ...(image.Variant ? [image.Variant] : [])].join('/')
}

/** Architecture names as Docker normalises them (x86_64 is amd64, aarch64 is arm64). */
const ARCH_ALIASES: Record<string, string> = {x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm'}

/** Whether an image of platform `actual` serves a job that asks for `wanted`; a variant the job leaves out matches any. */
export function samePlatform(actual: string, wanted: string): boolean {
  const [os1, arch1, variant1] = actual.toLowerCase().split('/')
  const [os2, arch2, variant2] = wanted.toLowerCase().split('/')
  const arch = (name: string | undefined): string | undefined => (name === undefined ? undefined : (ARCH_ALIASES[name] ?? name))
  if (os1 !== os2 || arch(arch1) !== arch(arch2)) return false
  // arm64 images usually carry no variant, and v8 is the only one.
  return variant2 === undefined || variant1 === variant2 || (variant1 === undefined && arch(arch2) === 'arm64' && variant2 === 'v8')
}

async function inspectImage(docker: Docker, ref: string): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    // One path segment: a reference holds "/" (and ":"), which the engine decodes back.
    return await withTimeout(docker.getImage(encodeURIComponent(ref)).inspect(), `inspect image ${ref}`)
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

/** Pulls `ref`; resolves with the last error the engine reported in its progress, if any. */
async function pull(docker: Docker, ref: string, signal: AbortSignal, onEvent: ((event: ExecutorEvent) => void) | undefined, options: PullOptions): Promise<string | undefined> {
  if (signal.aborted) throw new OrcaError('cancelled', 'cancelled before pulling images')
  const auth = options.auth?.(registryOf(ref))
  const stream = (await withTimeout(
    // Credentials apart from the options: dockerode sends them as X-Registry-Auth, never in the query string.
    docker.createImage(auth, {fromImage: ref, ...(options.platform ? {platform: options.platform} : {})}),
    `pull ${ref}`,
  )) as NodeJS.ReadableStream & {destroy(error?: Error): void}
  let reported: string | undefined
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
        if (event.error) {
          reported = event.error
          return
        }
        onEvent?.({
          type: 'image.pull',
          image: ref,
          status: event.id ? `${event.id}: ${event.status ?? ''}` : (event.status ?? ''),
          ...(event.id ? {layer: event.id} : {}),
          current: event.progressDetail?.current,
          total: event.progressDetail?.total,
        })
      },
    )
  })
  return reported
}
