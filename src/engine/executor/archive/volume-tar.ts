import {pipeline} from 'node:stream/promises'
import {PassThrough, type Readable} from 'node:stream'
import tar from 'tar-stream'
import type {Header} from 'tar-stream'

import {linksOutsideTree} from '../../artifacts/links.js'
import {UnsafeArchiveError} from './extract.js'

/** What a volume's tar holds. */
export interface VolumeTarSummary {
  entries: number
  /** Bytes of regular files. */
  bytes: number
}

/** Entry types a volume's tar may hold: devices, fifos and the like are not kept (at save) or refused (at restore). */
const KEPT_TYPES = new Set(['file', 'contiguous-file', 'directory', 'symlink', 'link'])

/**
 * A volume's tar, checked and rewritten entry by entry: names relative to the volume's root (with
 * `strip`, the folder the engine's archive of the volume puts first, removed), no absolute name, no
 * `..`, hard links to files of the archive, symbolic links that stay inside it (decided once the
 * whole archive is read), permission bits only (no setuid). `output` is the rewritten tar; `checked`
 * settles when the input is read, rejecting with UnsafeArchiveError at the first problem (the output
 * then errors too). The same rules run at save and before a restore, so an entry that was saved is
 * one that can be restored.
 */
export function rewriteVolumeTar(input: Readable, options: {strip?: string; skipOtherTypes?: boolean} = {}): {output: Readable; checked: Promise<VolumeTarSummary>} {
  const extract = tar.extract()
  const pack = tar.pack()
  const output = new PassThrough()
  const links: Array<{path: string; type: string; target: string}> = []
  const names = new Set<string>()
  const summary: VolumeTarSummary = {entries: 0, bytes: 0}
  const checked = (async () => {
    const reading = pipeline(input, extract as unknown as NodeJS.WritableStream)
    reading.catch(() => undefined)
    for await (const item of extract) {
      const header = item.header
      const type = header.type ?? 'file'
      const name = entryName(header.name, options.strip)
      if (name === null) {
        item.resume()
        continue
      }
      if (!KEPT_TYPES.has(type)) {
        item.resume()
        if (options.skipOtherTypes) continue
        throw new UnsafeArchiveError(`volume archive entry "${header.name}" is a ${type}, which a volume's archive does not hold`)
      }
      const out: Partial<Header> & {name: string} = {
        name,
        type: type === 'contiguous-file' ? 'file' : (type as Header['type']),
        mode: (header.mode ?? 0o644) & 0o777,
        uid: header.uid ?? 0,
        gid: header.gid ?? 0,
        mtime: header.mtime ?? new Date(0),
        size: type === 'file' || type === 'contiguous-file' ? (header.size ?? 0) : 0,
      }
      if (type === 'symlink') {
        out.linkname = header.linkname ?? ''
        links.push({path: name, type: 'symlink', target: out.linkname})
      } else if (type === 'link') {
        const target = entryName(header.linkname ?? '', options.strip)
        if (target === null || !names.has(target)) throw new UnsafeArchiveError(`volume archive entry "${header.name}" is a hard link to "${header.linkname}", which is not a file before it in the archive`)
        out.linkname = target
      }
      names.add(name)
      summary.entries++
      if (out.type === 'file') {
        summary.bytes += out.size ?? 0
        const entry = pack.entry(out)
        await pipeline(item, entry)
      } else {
        item.resume()
        pack.entry(out)
      }
    }
    await reading
    const outside = linksOutsideTree(links)
    if (outside.length > 0) throw new UnsafeArchiveError(`volume archive entry "${outside[0]!.path}" is a link to "${outside[0]!.target}", outside the volume`)
    pack.finalize()
    return summary
  })()
  // Whoever reads `output` hears of a refusal through it; the pack's own error is that same one.
  pack.on('error', () => undefined)
  checked.catch((error: unknown) => {
    input.destroy()
    extract.destroy()
    pack.destroy()
    output.destroy(error as Error)
  })
  pack.pipe(output)
  return {output, checked}
}

/** Checks a volume's tar without keeping it: what it holds, or UnsafeArchiveError. */
export async function checkVolumeTar(input: Readable): Promise<VolumeTarSummary> {
  const {output, checked} = rewriteVolumeTar(input)
  // The refusal is `checked`'s to tell.
  output.on('error', () => undefined)
  output.resume()
  return checked
}

/** An entry's name relative to the volume's root (`strip` removed first); null for the root itself. */
function entryName(name: string, strip: string | undefined): string | null {
  if (name.includes('\0') || name.startsWith('/') || name.includes('\\')) throw new UnsafeArchiveError(`volume archive entry "${name}" has an absolute or unsupported path`)
  const segments = name.split('/').filter((s) => s !== '' && s !== '.')
  if (segments.includes('..')) throw new UnsafeArchiveError(`volume archive entry "${name}" climbs out of its folder ("..")`)
  if (strip !== undefined) {
    if (segments[0] !== strip) throw new UnsafeArchiveError(`volume archive entry "${name}" is not under "${strip}"`)
    segments.shift()
  }
  return segments.length === 0 ? null : segments.join('/')
}
