import {createHash} from 'node:crypto'

import {DamagedBlobError, type BlobRef} from '../../artifacts/blobs.js'
import {sha256Hex} from '../../digest.js'

/**
 * Small files of an entry travel to and from the remote as one pack (and so do the blobs that list
 * them: artifact manifest, output, key manifest): their bytes one after another, ordered by digest.
 * Which files are in it follows from the entry's (signed) manifest alone, so a reader knows where each
 * file starts without an index that could lie, and still checks every file against its digest. Today
 * both packs travel inside the entry's bundle (below); entries sent before bundles have them as
 * objects of their own, named by the digest of the member list, beside every file as a blob.
 */

/** Files up to this size go into the entry's pack. */
export const PACK_FILE_MAX = 64 * 1024
/** A pack holds at most this many bytes: past it, the remaining small files stay blobs of their own. */
export const PACK_MAX_BYTES = 32 * 1024 * 1024
/** Fewer small files than this are not worth a pack: they are sent one by one, as large files are. */
export const PACK_MIN_FILES = 8

export interface Pack {
  /** The digest of the member list: the pack's name on the remote. */
  id: string
  members: BlobRef[]
  bytes: number
}

/**
 * The pack of a set of an entry's blobs (its files; or its listing, with `minFiles` 2), or undefined
 * when it has fewer than `minFiles` of at most `fileMax` bytes.
 */
export function packOf(blobs: readonly BlobRef[], minFiles = PACK_MIN_FILES, fileMax = PACK_FILE_MAX): Pack | undefined {
  const small = [...new Map(blobs.filter((b) => b.size <= fileMax).map((b) => [b.sha256, b])).values()].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1))
  const members: BlobRef[] = []
  let bytes = 0
  for (const blob of small) {
    if (bytes + blob.size > PACK_MAX_BYTES) break
    members.push(blob)
    bytes += blob.size
  }
  if (members.length < minFiles) return undefined
  const list = members.map((m) => `${m.sha256} ${m.size}\n`).join('')
  return {id: createHash('sha256').update(`orca-pack 1\n${list}`).digest('hex'), members, bytes}
}

/** The pack's bytes: each member's content in order. */
export function joinPack(pack: Pack, read: (member: BlobRef) => Buffer): Buffer {
  return Buffer.concat(pack.members.map(read), pack.bytes)
}

/** Each member's bytes cut out of a downloaded pack (checked against its digest by the store that takes it). */
export function splitPack(pack: Pack, body: Buffer): Array<{member: BlobRef; bytes: Buffer}> {
  if (body.length !== pack.bytes) throw new DamagedBlobError(`pack ${pack.id} holds ${body.length} bytes, not ${pack.bytes}`)
  let at = 0
  return pack.members.map((member) => {
    const bytes = body.subarray(at, at + member.size)
    at += member.size
    return {member, bytes}
  })
}

/**
 * An entry's bundle: its signed manifest, then the pack of its listing (artifact manifest, output,
 * key manifest, reports), then the pack of its small files, in one object, so one request restores
 * a small entry. No part needs an index: the manifest names the listing, the listing names the
 * files, and each pack follows from what names it (`packOf` with `minFiles` 1), so every byte is
 * checked against a digest the signed manifest leads to. Files too large for a pack stay blobs.
 */
const BUNDLE_MAGIC = 'orca-bundle 1 '
const BUNDLE_FIRST_LINE = BUNDLE_MAGIC.length + 13

export function joinBundle(manifest: string, packs: readonly Buffer[]): Buffer {
  const text = Buffer.from(manifest)
  return Buffer.concat([Buffer.from(`${BUNDLE_MAGIC}${String(text.length).padStart(12, '0')}\n`), text, ...packs])
}

/** The manifest's text and the packs' bytes after it; DamagedBlobError when the object is no bundle. */
export function splitBundle(bundle: Buffer): {manifest: string; rest: Buffer} {
  const first = bundle.subarray(0, BUNDLE_FIRST_LINE).toString('latin1')
  const length = Number(first.slice(BUNDLE_MAGIC.length, -1))
  if (!first.startsWith(BUNDLE_MAGIC) || !first.endsWith('\n') || !Number.isSafeInteger(length) || BUNDLE_FIRST_LINE + length > bundle.length) {
    throw new DamagedBlobError('the entry bundle is not one orca wrote')
  }
  return {manifest: bundle.subarray(BUNDLE_FIRST_LINE, BUNDLE_FIRST_LINE + length).toString('utf8'), rest: bundle.subarray(BUNDLE_FIRST_LINE + length)}
}

/** Each member's bytes cut out of a pack, checked against its digest. */
export function checkedPieces(pack: Pack, body: Buffer): Map<string, Buffer> {
  return new Map(
    splitPack(pack, body).map(({member, bytes}) => {
      if (sha256Hex(bytes) !== member.sha256) throw new DamagedBlobError(`blob ${member.sha256} does not match its digest`)
      return [member.sha256, bytes]
    }),
  )
}
