import {lstatSync, readFileSync, readlinkSync} from 'node:fs'
import * as path from 'node:path'
import type {Readable} from 'node:stream'

import type Docker from 'dockerode'
import tar from 'tar-stream'
import type {Pack} from 'tar-stream'

import {OrcaError} from '../../errors.js'
import type {BuildImageRequest, ExecutorEvent} from '../types.js'
import {projectIdentity} from '../../project-identity.js'
import {dockerMessage, statusCode, withTimeout} from './call.js'
import {LABEL, projectLabels} from './container-spec.js'

/** A build that reports nothing for this long is given up. */
const BUILD_IDLE_MS = 10 * 60_000

/**
 * The ID of the image `request` describes: the one already tagged with its content digest, or one built
 * now by the engine's classic builder from a tar of exactly the hashed context files. Build output goes
 * to `onEvent` line by line; a failed build throws with the builder's own error.
 */
export async function buildImage(docker: Docker, request: BuildImageRequest, signal: AbortSignal, onEvent?: (event: ExecutorEvent) => void): Promise<string> {
  const existing = await inspectTag(docker, request.tag)
  if (existing !== undefined) return existing
  const dockerfile = readFileSync(path.join(request.contextDir, request.dockerfile), 'utf8')
  const unsupported = buildKitOnlyFeature(dockerfile)
  if (unsupported !== undefined) {
    throw new OrcaError('config', `image ${request.label}: ${request.dockerfile} ${unsupported}, and this engine is reached through its classic builder`, {
      hint: 'rewrite that instruction for the classic builder (e.g. RUN with a plain command, files COPY-ed in), or build the image yourself and name it in image:',
    })
  }
  if (signal.aborted) throw new OrcaError('cancelled', `build of ${request.label} cancelled`)
  const options = {
    t: request.tag,
    dockerfile: request.dockerfile,
    buildargs: request.args,
    // The build's own label lets `orca clean` find the project's built images.
    labels: {...projectLabels(projectIdentity(request.projectDir)), [LABEL.build]: request.label},
    // Intermediate containers go whether the build succeeds or not.
    rm: true,
    forcerm: true,
    ...(request.target !== undefined ? {target: request.target} : {}),
    ...(request.platform !== undefined ? {platform: request.platform} : {}),
    abortSignal: signal,
  }
  const stream = (await withTimeout(docker.buildImage(contextArchive(request.contextDir, request.files), options), `build ${request.label}`)) as NodeJS.ReadableStream
  let failure: string | undefined
  await new Promise<void>((resolve, reject) => {
    let idle: NodeJS.Timeout | undefined
    const arm = (): void => {
      clearTimeout(idle)
      idle = setTimeout(() => finish(new Error(`the builder reported nothing for ${BUILD_IDLE_MS / 60_000} minutes`)), BUILD_IDLE_MS)
    }
    const finish = (error?: Error | null): void => {
      clearTimeout(idle)
      if (error) reject(error)
      else resolve()
    }
    arm()
    docker.modem.followProgress(
      stream,
      (error: Error | null) => finish(error),
      (event: {stream?: string; status?: string; error?: string; errorDetail?: {message?: string}}) => {
        arm()
        if (event.error !== undefined) failure = event.errorDetail?.message ?? event.error
        const text = event.stream ?? (event.status !== undefined ? `${event.status}\n` : event.error !== undefined ? `${event.error}\n` : undefined)
        // The builder sends each step's blank separator line on its own: noise in a job's log.
        if (text !== undefined && text.trim() !== '') onEvent?.({type: 'image.build', image: request.label, text})
      },
    )
  }).catch((error: unknown) => {
    if (signal.aborted) throw new OrcaError('cancelled', `build of ${request.label} cancelled`)
    throw new OrcaError('infra', `image ${request.label} could not be built: ${dockerMessage(error)}`, {cause: error})
  })
  if (failure !== undefined) throw new OrcaError('infra', `image ${request.label} could not be built: ${failure.trim()}`)
  const built = await inspectTag(docker, request.tag)
  if (built === undefined) throw new OrcaError('infra', `image ${request.label} was built but the engine does not list ${request.tag}`)
  return built
}

async function inspectTag(docker: Docker, tag: string): Promise<string | undefined> {
  try {
    return (await withTimeout(docker.getImage(encodeURIComponent(tag)).inspect(), `inspect image ${tag}`)).Id
  } catch (error) {
    if (statusCode(error) === 404) return undefined
    throw error
  }
}

/** A tar of the context's files (those that were hashed), links kept as links; entries carry no owner. */
function contextArchive(dir: string, files: readonly string[]): Readable {
  const pack = tar.pack()
  const madeDirs = new Set<string>()
  pack.on('error', () => undefined)
  void (async () => {
    for (const rel of files) {
      if (rel.startsWith('/') || rel.split('/').includes('..')) throw new Error(`context path "${rel}" leaves the context`)
      const parts = rel.split('/')
      for (let i = 1; i < parts.length; i++) {
        const folder = parts.slice(0, i).join('/')
        if (madeDirs.has(folder)) continue
        madeDirs.add(folder)
        await entry(pack, {name: folder, type: 'directory', mode: 0o755})
      }
      const abs = path.join(dir, rel)
      const stat = lstatSync(abs)
      if (stat.isSymbolicLink()) await entry(pack, {name: rel, type: 'symlink', linkname: readlinkSync(abs), mode: 0o777})
      else await entry(pack, {name: rel, type: 'file', mode: stat.mode & 0o7777, mtime: stat.mtime}, readFileSync(abs))
    }
    pack.finalize()
  })().catch((error: unknown) => pack.destroy(error as Error))
  return pack as unknown as Readable
}

function entry(pack: Pack, header: Parameters<Pack['entry']>[0], body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error | null): void => (error ? reject(error) : resolve())
    if (body === undefined) pack.entry(header, done)
    else pack.entry(header, body, done)
  })
}

/**
 * Why the classic builder (the one reachable through the Engine API without a BuildKit session)
 * cannot build this Dockerfile, or undefined: it refuses BuildKit-only syntax with a message that
 * would not say what to change.
 */
export function buildKitOnlyFeature(dockerfile: string): string | undefined {
  const lines = dockerfile.split(/\r?\n/)
  for (const [index, line] of lines.entries()) {
    const at = `line ${index + 1}`
    // Parser directives come first, as comments: `# syntax=` picks a BuildKit frontend.
    if (/^#\s*syntax\s*=/i.test(line)) return `${at}: "# syntax=" selects a BuildKit frontend`
    const instruction = /^\s*(RUN|COPY|ADD)\s+(.*)$/i.exec(line)
    if (!instruction) continue
    const [, name, rest] = instruction as unknown as [string, string, string]
    if (/^RUN$/i.test(name) && /(^|\s)--(mount|network|security)=/.test(rest)) return `${at}: RUN ${/--(\w+)=/.exec(rest)?.[0] ?? '--mount='} is BuildKit-only`
    if (/^(COPY|ADD)$/i.test(name) && /(^|\s)--(link|parents|exclude)\b/.test(rest)) return `${at}: ${name.toUpperCase()} ${/--\w+/.exec(rest)?.[0]} is BuildKit-only`
    if (/<<-?\s*["']?[A-Za-z_][A-Za-z0-9_]*["']?/.test(rest) && !/\\\s*$/.test(line)) return `${at}: a here-document (<<EOF) in ${name.toUpperCase()} is BuildKit-only`
  }
  return undefined
}
