import * as path from 'node:path/posix'
import type {Readable} from 'node:stream'
import picomatch from 'picomatch'
import type {BlobStore} from '../../artifacts/blobs.js'
import type {ArtifactEntry} from '../../artifacts/manifest.js'
import {materialise} from '../../artifacts/materialise.js'
import type {JobWarning} from '../types.js'
import {extractToBlobs, keptEntries, type ExtractedTree} from './extract.js'

export interface ArtifactLimits {
  maxBytes: number
  maxEntries: number
}

export interface CollectOptions {
  /** Where file content goes (by digest); destDir gets hard links to it. */
  blobs: BlobStore
  /** The recorded name of each artifact (secrets masked). */
  rename?(path: string): string
  onWarning?(warning: JobWarning): void
  /** Stops the copy; the call then rejects and leaves nothing in destDir. */
  signal?: AbortSignal
}

/**
 * Where collection reads a path of the job's workdir from: a tar stream named as `docker cp` names it
 * (entries under the path's last component), or undefined when nothing is there.
 */
export type ArchiveFetch = (source: string) => Promise<Readable | undefined>

/**
 * Copies the files and links of a job's workdir matching `globs`: each glob's static folder is
 * fetched once (not the whole workdir) and streamed straight into the blob store, its
 * entries filtered by glob. Links whose target leaves the artifacts are reported and not kept. Then
 * destDir is filled with hard links to the blobs, in a folder renamed into place once complete, so a
 * failed, capped or cancelled collection leaves nothing there. Returns the entries, sorted by path.
 */
export async function collectFromArchives(
  fetch: ArchiveFetch,
  workdir: string,
  globs: string[],
  destDir: string,
  limits: ArtifactLimits,
  options: CollectOptions,
): Promise<ArtifactEntry[]> {
  globs = globs.map(withoutDotSlash)
  const matches = picomatch(globs, {dot: true})
  const tree: ExtractedTree = new Map()
  for (const base of fetchRoots(globs)) {
    options.signal?.throwIfAborted()
    const source = sourceOf(workdir, base)
    const stream = await fetch(source)
    if (stream === undefined) continue // nothing there: the glob matches no file
    // getArchive names entries after the folder fetched: `dist/...` for /workspace/dist.
    await extractToBlobs(
      stream,
      options.blobs,
      {
        maxBytes: limits.maxBytes,
        maxEntries: limits.maxEntries,
        addPrefix: base ? path.dirname(base).replace(/^\.$/, '') : undefined,
        stripPrefix: base ? undefined : path.basename(workdir),
        linkRoot: workdir,
        filter: matches,
        rename: options.rename,
        onClash: ({path: name}) =>
          options.onWarning?.({kind: 'artifact-name-clash', path: name, message: `two artifacts are named ${name} once secrets are masked: the first was kept`}),
        signal: options.signal,
      },
      tree,
    )
  }
  const entries = keptEntries(tree, options.onWarning)
  options.signal?.throwIfAborted()
  if (entries.length > 0) materialise(entries, options.blobs, destDir, {link: true})
  return entries
}

/** The paths of the workdir that collecting `globs` fetches, one archive each. */
export function fetchSources(workdir: string, globs: string[]): string[] {
  return fetchRoots(globs.map(withoutDotSlash)).map((base) => sourceOf(workdir, base))
}

function withoutDotSlash(glob: string): string {
  return glob.replace(/^(\.\/)+/, '')
}

function sourceOf(workdir: string, base: string): string {
  return base ? path.join(workdir, base) : workdir
}

/** The static folders of the globs, without folders inside another one of them. */
export function fetchRoots(globs: string[]): string[] {
  const bases = [...new Set(globs.map((glob) => normalise(picomatch.scan(glob).base)))].sort()
  return bases.filter((base) => !bases.some((other) => other !== base && (other === '' || base.startsWith(`${other}/`))))
}

function normalise(base: string): string {
  return base.split('/').filter((s) => s !== '' && s !== '.').join('/')
}

