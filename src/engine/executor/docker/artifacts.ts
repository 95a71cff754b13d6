import {randomBytes} from 'node:crypto'
import {rename, rm} from 'node:fs/promises'
import * as hostPath from 'node:path'
import * as path from 'node:path/posix'
import type {Readable} from 'node:stream'
import type Docker from 'dockerode'
import picomatch from 'picomatch'
import {sortEntries, type ArtifactFileEntry} from '../../artifacts/manifest.js'
import {extractArchive} from '../archive/extract.js'
import {statusCode, withTimeout} from './call.js'

export interface ArtifactLimits {
  maxBytes: number
  maxEntries: number
}

export interface CollectOptions {
  /** The recorded name of each artifact (secrets masked). */
  rename?(path: string): string
  onClash?(path: string): void
  /** Stops the copy; the call then rejects and leaves nothing behind. */
  signal?: AbortSignal
}

/**
 * Copies the files of the container's workdir matching `globs` into destDir. Each glob's static
 * folder is fetched once with getArchive (not the whole workdir) and its entries filtered by glob.
 * Files land in a folder next to destDir that is renamed to it once every copy succeeded, so a
 * failed, capped or cancelled collection leaves nothing in the run directory.
 */
export async function collectArtifacts(
  container: Docker.Container,
  workdir: string,
  globs: string[],
  destDir: string,
  limits: ArtifactLimits,
  options: CollectOptions = {},
): Promise<ArtifactFileEntry[]> {
  globs = globs.map((glob) => glob.replace(/^(\.\/)+/, ''))
  const matches = picomatch(globs, {dot: true})
  const found = new Map<string, ArtifactFileEntry>()
  const names = new Set<string>()
  const partial = hostPath.join(hostPath.dirname(destDir), `.${hostPath.basename(destDir)}.partial-${randomBytes(4).toString('hex')}`)
  let bytes = 0
  let entries = 0
  try {
    for (const base of fetchRoots(globs)) {
      options.signal?.throwIfAborted()
      const source = base ? path.join(workdir, base) : workdir
      let stream: Readable
      try {
        stream = (await withTimeout(container.getArchive({path: source}), `get archive ${source}`)) as Readable
      } catch (error) {
        if (statusCode(error) === 404) continue // nothing there: the glob matches no file
        throw error
      }
      // getArchive names entries after the folder fetched: `dist/...` for /workspace/dist.
      const records = await extractArchive(stream, partial, {
        maxBytes: limits.maxBytes - bytes,
        maxEntries: limits.maxEntries - entries,
        addPrefix: base ? path.dirname(base).replace(/^\.$/, '') : undefined,
        stripPrefix: base ? undefined : path.basename(workdir),
        filter: matches,
        rename: options.rename,
        names,
        onClash: (clash) => options.onClash?.(clash.path),
        signal: options.signal,
      })
      for (const record of records) {
        bytes += record.size
        entries++
        found.set(record.path, record)
      }
    }
    options.signal?.throwIfAborted()
    if (found.size > 0) await rename(partial, destDir)
    return sortEntries([...found.values()])
  } finally {
    await rm(partial, {recursive: true, force: true})
  }
}

/** The static folders of the globs, without folders inside another one of them. */
export function fetchRoots(globs: string[]): string[] {
  const bases = [...new Set(globs.map((glob) => normalise(picomatch.scan(glob).base)))].sort()
  return bases.filter((base) => !bases.some((other) => other !== base && (other === '' || base.startsWith(`${other}/`))))
}

function normalise(base: string): string {
  return base.split('/').filter((s) => s !== '' && s !== '.').join('/')
}
