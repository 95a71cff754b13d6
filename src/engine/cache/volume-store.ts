import {closeSync, constants, fstatSync, lutimesSync, openSync, readFileSync, rmSync} from 'node:fs'
import * as path from 'node:path'
import type {Readable} from 'node:stream'

import type {BlobRef} from '../artifacts/blobs.js'
import {replaceFile} from '../atomic-file.js'
import {CACHE_FORMAT, canonicalJson} from './format.js'
import type {CacheStore} from './store.js'
import type {EntrySignature} from './signing.js'

/**
 * A keyed volume's entry, `volumes/<ab>/<key>.json` beside the job entries: the volume's content as
 * one tar (a blob, entries relative to the volume's root) and this small manifest naming it, signed
 * like a job entry when signing is on.
 */
export interface VolumeMeta {
  format: number
  kind: 'volume'
  key: string
  /** The volume's name and mount path when it was saved (both are in the key). */
  volume: string
  path: string
  tar: BlobRef
  projectDir: string
  runId: string
  createdAt: string
  signature?: EntrySignature
}

export type VolumeRead =
  | {status: 'found'; meta: VolumeMeta}
  | {status: 'absent'}
  | {status: 'corrupt' | 'untrusted'; reason: string}

const SHA256 = /^[0-9a-f]{64}$/

/** The keyed volumes' entries of a cache store: read and written as its job entries are (checked shape, signature, atomic writes). */
export class VolumeStore {
  constructor(readonly store: CacheStore) {}

  get dir(): string {
    return path.join(this.store.root, 'volumes')
  }

  entryFile(key: string): string {
    if (!SHA256.test(key)) throw new Error(`not a volume key: ${key}`)
    return path.join(this.dir, key.slice(0, 2), `${key}.json`)
  }

  /** The entry under a key; a damaged or untrusted one is removed and said to be. */
  read(key: string): VolumeRead {
    const text = this.readManifestFile(key)
    if (text === undefined) return {status: 'absent'}
    const read = this.check(key, text)
    if (read.status !== 'found') this.discard(key)
    return read
  }

  /** Checks a manifest (from disk or a remote): its shape, that it names `key`, its signature when signing is on. */
  check(key: string, text: string): VolumeRead {
    const meta = parseVolumeEntry(text, key)
    if (meta === undefined) return {status: 'corrupt', reason: 'its manifest does not describe this key'}
    const problem = this.store.signer?.check(signedPayload(meta), meta.signature)
    return problem === undefined ? {status: 'found', meta} : {status: 'untrusted', reason: problem}
  }

  /** The manifest as stored (unchecked); undefined when there is none or it is not a plain file. */
  readManifestFile(key: string): string | undefined {
    const file = this.entryFile(key)
    try {
      this.store.blobs.realDir(path.dirname(file), false)
      const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW)
      try {
        return fstatSync(fd).isFile() ? readFileSync(fd, 'utf8') : undefined
      } finally {
        closeSync(fd)
      }
    } catch {
      return undefined
    }
  }

  /** Streams a volume's tar into the blobs and writes its manifest (signed when signing is on); the manifest. */
  async save(entry: Omit<VolumeMeta, 'format' | 'kind' | 'tar' | 'createdAt' | 'signature'>, tar: Readable): Promise<VolumeMeta> {
    if (this.store.signer && !this.store.signer.canSign) throw new Error('the cache signing configuration has no private key: entries are only read')
    const writer = this.store.blobs.create()
    let ref: BlobRef
    try {
      for await (const chunk of tar as AsyncIterable<Buffer>) writer.write(chunk)
      ref = writer.commit()
    } catch (error) {
      writer.abort()
      throw error
    }
    const meta: VolumeMeta = {format: CACHE_FORMAT, kind: 'volume', ...entry, tar: ref, createdAt: new Date().toISOString()}
    if (this.store.signer) meta.signature = this.store.signer.sign(signedPayload(meta))
    this.adopt(entry.key, JSON.stringify(meta))
    return meta
  }

  /** Stores a manifest checked by `check` whose tar is in the blobs already. */
  adopt(key: string, text: string): void {
    const file = this.entryFile(key)
    this.store.blobs.realDir(path.dirname(file), true)
    replaceFile(file, text)
  }

  /** Marks the entry as just used (LRU order for pruning). */
  touch(key: string): void {
    const now = new Date()
    try {
      lutimesSync(this.entryFile(key), now, now)
    } catch {
      // Removed meanwhile by a prune.
    }
  }

  /** Removes the manifest; its tar goes with the next garbage collection. */
  discard(key: string): void {
    const file = this.entryFile(key)
    try {
      this.store.blobs.realDir(path.dirname(file), false)
    } catch {
      return // never removed through a folder swapped for a link
    }
    rmSync(file, {force: true})
  }
}

/** What a signature covers: the whole manifest but the signature, as canonical JSON. */
function signedPayload(meta: VolumeMeta): string {
  const {signature: _signature, ...rest} = meta
  return canonicalJson(rest)
}

/** The manifest when it is well formed and names `key`; undefined otherwise. */
export function parseVolumeEntry(text: string, key: string): VolumeMeta | undefined {
  let meta: VolumeMeta
  try {
    meta = JSON.parse(text) as VolumeMeta
  } catch {
    return undefined
  }
  const tar = meta?.tar as Partial<BlobRef> | undefined
  const ok =
    typeof meta === 'object' && meta !== null &&
    meta.format === CACHE_FORMAT && meta.kind === 'volume' && meta.key === key &&
    typeof meta.volume === 'string' && typeof meta.path === 'string' && typeof meta.runId === 'string' &&
    typeof tar === 'object' && tar !== null && typeof tar.sha256 === 'string' && SHA256.test(tar.sha256) && Number.isSafeInteger(tar.size) && tar.size! >= 0
  return ok ? meta : undefined
}
