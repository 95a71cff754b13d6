import * as path from 'node:path/posix'
import type {Readable} from 'node:stream'
import type Docker from 'dockerode'
import picomatch from 'picomatch'
import {extractArchive} from '../archive/extract.js'
import type {ArtifactRecord} from '../types.js'
import {statusCode, withTimeout} from './call.js'

export interface ArtifactLimits {
  maxBytes: number
  maxEntries: number
}

/**
 * Copies the files of the container's workdir matching `globs` into destDir. Each glob's static
 * folder is fetched once with getArchive (not the whole workdir) and its entries filtered by glob.
 */
export async function collectArtifacts(
  container: Docker.Container,
  workdir: string,
  globs: string[],
  destDir: string,
  limits: ArtifactLimits,
): Promise<ArtifactRecord[]> {
  globs = globs.map((glob) => glob.replace(/^(\.\/)+/, ''))
  const matches = picomatch(globs, {dot: true})
  const found = new Map<string, ArtifactRecord>()
  let bytes = 0
  let entries = 0
  for (const base of fetchRoots(globs)) {
    const source = base ? path.join(workdir, base) : workdir
    let stream: Readable
    try {
      stream = (await withTimeout(container.getArchive({path: source}), `get archive ${source}`)) as Readable
    } catch (error) {
      if (statusCode(error) === 404) continue // nothing there: the glob matches no file
      throw error
    }
    // getArchive names entries after the folder fetched: `dist/...` for /workspace/dist.
    const records = await extractArchive(stream, destDir, {
      maxBytes: limits.maxBytes - bytes,
      maxEntries: limits.maxEntries - entries,
      addPrefix: base ? path.dirname(base).replace(/^\.$/, '') : undefined,
      stripPrefix: base ? undefined : path.basename(workdir),
      filter: matches,
    })
    for (const record of records) {
      bytes += record.size
      entries++
      found.set(record.path, record)
    }
  }
  return [...found.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** The static folders of the globs, without folders inside another one of them. */
export function fetchRoots(globs: string[]): string[] {
  const bases = [...new Set(globs.map((glob) => normalise(picomatch.scan(glob).base)))].sort()
  return bases.filter((base) => !bases.some((other) => other !== base && (other === '' || base.startsWith(`${other}/`))))
}

function normalise(base: string): string {
  return base.split('/').filter((s) => s !== '' && s !== '.').join('/')
}
