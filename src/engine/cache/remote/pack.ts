import {createHash} from 'node:crypto'

import {DamagedBlobError, type BlobRef} from '../../artifacts/blobs.js'

/**
 * Small files of an entry travel to and from the remote as one object, a pack (and so do the blobs
 * that list them: artifact manifest, output, key manifest): their bytes one after
 * another, ordered by digest. Which files are in it follows from the entry's (signed) manifest alone,
 * so a reader knows the pack's name and where each file starts without an index that could lie, and
 * still checks every file against its digest. Every file is also sent as a blob of its own (readers
 * without packs, an entry whose pack is gone and dedup across entries use those); a large file is
 * only that.
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
 * when it has fewer than `minFiles` small ones.
 */
export function packOf(blobs: readonly BlobRef[], minFiles = PACK_MIN_FILES): Pack | undefined {
  const small = [...new Map(blobs.filter((b) => b.size <= PACK_FILE_MAX).map((b) => [b.sha256, b])).values()].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1))
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
