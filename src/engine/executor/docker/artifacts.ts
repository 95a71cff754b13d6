import type {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import type Docker from 'dockerode'
import tar from 'tar-stream'
import type {ArtifactEntry} from '../../artifacts/manifest.js'
import {collectFromArchives, type ArtifactLimits, type CollectOptions} from '../archive/collect.js'
import {statusCode, withTimeout} from './call.js'
import type {ArchiveSource} from './exec-tar.js'

export {fetchRoots, type ArtifactLimits, type CollectOptions} from '../archive/collect.js'

/**
 * Copies the files and links of the container's workdir matching `globs` into destDir (see
 * collectFromArchives): each glob's static folder is fetched once, not the whole workdir, with getArchive
 * or, given `tar`, through the container's own tar (the same archive, read with the same checks), or
 * from a step's exec that already wrote it (step-fold.ts).
 */
export async function collectArtifacts(
  container: Docker.Container,
  workdir: string,
  globs: string[],
  destDir: string,
  limits: ArtifactLimits,
  options: CollectOptions,
  tar?: ArchiveSource,
): Promise<ArtifactEntry[]> {
  const fetch = async (source: string): Promise<Readable | undefined> => {
    if (tar) return tar.fetch(container, source, options.signal)
    try {
      return (await withTimeout(container.getArchive({path: source}), `get archive ${source}`)) as Readable
    } catch (error) {
      if (statusCode(error) === 404) return undefined // nothing there: the glob matches no file
      throw error
    }
  }
  return collectFromArchives(fetch, workdir, globs, destDir, limits, options)
}

/**
 * One regular file of the container, read whole through getArchive (a stopped container too); a file
 * over `maxBytes`, or anything but a regular file, is refused rather than cut.
 */
export async function readContainerFile(container: Docker.Container, file: string, maxBytes: number): Promise<string> {
  return (await readContainerBytes(container, file, maxBytes)).toString('utf8')
}

/** As readContainerFile, as bytes. */
export async function readContainerBytes(container: Docker.Container, file: string, maxBytes: number): Promise<Buffer> {
  const stream = (await withTimeout(container.getArchive({path: file}), `get archive ${file}`)) as Readable
  const extract = tar.extract()
  let content: Buffer | undefined
  let problem: string | undefined
  extract.on('entry', (header, body, next) => {
    if (content !== undefined || problem !== undefined) {
      body.resume()
      return next()
    }
    if (header.type !== 'file') problem = `${file} is not a regular file`
    else if ((header.size ?? 0) > maxBytes) problem = `${file} holds ${header.size} bytes; the limit is ${maxBytes}`
    if (problem !== undefined) {
      body.resume()
      return next()
    }
    const chunks: Buffer[] = []
    body.on('data', (chunk: unknown) => void chunks.push(chunk as Buffer))
    body.on('end', () => {
      content = Buffer.concat(chunks)
      next()
    })
  })
  await pipeline(stream, extract)
  if (problem !== undefined) throw new Error(problem)
  return content ?? Buffer.alloc(0)
}
