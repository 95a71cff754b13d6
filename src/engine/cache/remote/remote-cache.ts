import {DamagedBlobError, type BlobRef} from '../../artifacts/blobs.js'
import {InvalidManifestError} from '../../artifacts/manifest.js'
import {isExecutable} from '../../artifacts/materialise.js'
import type {CacheStore, EntryMeta, StoredReports} from '../store.js'
import {RemoteError, type RemoteBackend, type RemoteObject} from './backend.js'
import {Limiter, withRetries, type IdleDeadline, type TransferPolicy} from './transfer.js'

export interface RemoteCacheOptions {
  backend: RemoteBackend
  /** Entries of one project (or team of projects) apart from others on the same server. */
  namespace: string
  /** Look up, never upload (builds that must not write, e.g. pull requests from forks). */
  readOnly: boolean
  policy: TransferPolicy
  /** Requests in flight at once, every job of the run together. */
  concurrency: number
}

/** What a remote lookup found; anything but `hit` leaves the job a miss. */
export type RemoteLookup =
  | {result: 'hit'; meta: EntryMeta; durationMs: number; /** Bytes and blobs downloaded (the rest were in the local cache). */ bytes: number; blobs: number}
  | {result: 'miss'; durationMs: number}
  /** The entry was there but not trusted (signature), or its content did not match its manifest. */
  | {result: 'untrusted' | 'damaged'; reason: string; durationMs: number}
  /** The remote could not be reached in time; `repeated` once it was already said in this run. */
  | {result: 'unavailable'; reason: string; durationMs: number; repeated: boolean}

export interface RemoteUpload {
  key: string
  /** `exists`: the remote already had the entry; `failed`: nothing usable was left (a partial set of blobs is harmless). */
  result: 'uploaded' | 'exists' | 'failed'
  /** Blobs and bytes sent; blobs the remote already held are not. */
  blobs: number
  bytes: number
  durationMs: number
  reason?: string
}

/** Largest entry manifest read: they hold digests and counts, never file content. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024
/** Failures in a row, none succeeding, after which the remote is left alone for the rest of the run. */
const GIVE_UP_AFTER = 2

/**
 * A remote cache in front of the local one. A lookup downloads the entry's manifest, checks it (shape,
 * key, signature) before anything else, then fetches the blobs the local cache lacks, each checked
 * against its digest as it is written, and only then adopts the manifest locally: a remote hit is
 * then restored as a local one. Uploads run in the background, bounded by `concurrency`, blobs first
 * and the manifest last, so a reader never finds a manifest whose content is missing; a blob the
 * remote already holds is not sent again. Every failure is a miss or a failed upload, never an error.
 */
export class RemoteCache {
  readonly description: string
  private readonly limiter: Limiter
  private readonly uploads = new Set<Promise<void>>()
  /** Blobs sent or found on the remote in this run, by digest: each is checked or sent once. */
  private readonly remoteBlobs = new Map<string, Promise<number>>()
  private failuresInARow = 0
  private downReason?: string

  constructor(
    private readonly store: CacheStore,
    private readonly options: RemoteCacheOptions,
  ) {
    this.description = options.backend.description
    this.limiter = new Limiter(options.concurrency)
  }

  get readOnly(): boolean {
    return this.options.readOnly
  }

  /** Looks a key up on the remote; a hit is in the local cache when this returns. Never throws. */
  async lookup(key: string): Promise<RemoteLookup> {
    const started = Date.now()
    const took = (): number => Date.now() - started
    if (this.downReason !== undefined) return {result: 'unavailable', reason: this.downReason, durationMs: 0, repeated: true}
    try {
      const text = await this.transfer(async (deadline) => {
        const body = await this.options.backend.get(this.entryObject(key), deadline.signal)
        return body === undefined ? undefined : (await readAll(body, deadline, MAX_MANIFEST_BYTES)).toString('utf8')
      })
      this.succeeded()
      if (text === undefined) return {result: 'miss', durationMs: took()}
      const checked = this.store.checkEntry(key, text)
      if (checked.status === 'untrusted') return {result: 'untrusted', reason: checked.reason, durationMs: took()}
      if (checked.status !== 'found') return {result: 'damaged', reason: checked.status === 'corrupt' ? checked.reason : 'its manifest is missing', durationMs: took()}
      const got = await this.fetchContent(checked.meta)
      this.store.adoptEntry(key, text)
      return {result: 'hit', meta: checked.meta, durationMs: took(), ...got}
    } catch (error) {
      if (error instanceof DamagedBlobError || error instanceof InvalidManifestError || error instanceof SyntaxError) {
        return {result: 'damaged', reason: error.message, durationMs: took()}
      }
      return {result: 'unavailable', reason: this.failed(error), durationMs: took(), repeated: false}
    }
  }

  /** Whether the remote holds an entry under the key (for plans: nothing is downloaded). Never throws. */
  async has(key: string): Promise<boolean | 'unavailable'> {
    if (this.downReason !== undefined) return 'unavailable'
    try {
      const found = await this.transfer((deadline) => this.options.backend.has(this.entryObject(key), deadline.signal))
      this.succeeded()
      return found
    } catch (error) {
      this.failed(error)
      return 'unavailable'
    }
  }

  /**
   * Uploads the local entry under `key` in the background; `told` hears how it went. Nothing happens
   * in read-only mode. `drain` waits for every upload started.
   */
  upload(key: string, told: (upload: RemoteUpload) => void): void {
    if (this.options.readOnly) return
    const upload = this.push(key).then(told)
    this.uploads.add(upload)
    void upload.finally(() => this.uploads.delete(upload))
  }

  /** Waits for every upload started (and any started meanwhile). */
  async drain(): Promise<void> {
    while (this.uploads.size > 0) await Promise.all([...this.uploads])
  }

  close(): void {
    this.options.backend.close?.()
  }

  /** Sends an entry: its blobs the remote lacks, then its manifest. Never throws. */
  async push(key: string): Promise<RemoteUpload> {
    const started = Date.now()
    const result = (body: Omit<RemoteUpload, 'key' | 'durationMs'>): RemoteUpload => ({key, durationMs: Date.now() - started, ...body})
    if (this.downReason !== undefined) return result({result: 'failed', blobs: 0, bytes: 0, reason: this.downReason})
    const text = this.store.readManifestFile(key)
    const read = text === undefined ? undefined : this.store.checkEntry(key, text)
    if (text === undefined || read?.status !== 'found') return result({result: 'failed', blobs: 0, bytes: 0, reason: 'the local entry is gone or not trusted'})
    try {
      const entryObject = this.entryObject(key)
      if (await this.transfer((deadline) => this.options.backend.has(entryObject, deadline.signal))) return result({result: 'exists', blobs: 0, bytes: 0})
      const sent = await Promise.all(this.blobsOf(read.meta).map((blob) => this.pushBlob(blob)))
      await this.transfer((deadline) => this.options.backend.put(entryObject, Buffer.from(text), deadline.signal))
      this.succeeded()
      const bytes = sent.reduce((sum, n) => sum + n, 0)
      return result({result: 'uploaded', blobs: sent.filter((n) => n > 0).length, bytes: bytes + text.length})
    } catch (error) {
      return result({result: 'failed', blobs: 0, bytes: 0, reason: this.failed(error)})
    }
  }

  private entryObject(key: string): RemoteObject {
    return {kind: 'entry', namespace: this.options.namespace, key}
  }

  /** Every blob an entry refers to, each once, with the mode it is stored under locally. */
  private blobsOf(meta: EntryMeta): Array<BlobRef & {executable: boolean}> {
    const blobs = new Map<string, BlobRef & {executable: boolean}>()
    const add = (ref: BlobRef, executable = false): void => {
      if (!blobs.has(ref.sha256)) blobs.set(ref.sha256, {sha256: ref.sha256, size: ref.size, executable})
    }
    for (const ref of [meta.artifacts.manifest, meta.output, meta.keyManifest, ...(meta.reports ? [meta.reports] : [])]) add(ref)
    for (const entry of this.store.readArtifacts(meta)) if (entry.type === 'file') add(entry, isExecutable(entry.mode))
    for (const file of this.storedReports(meta)?.files ?? []) if (file.type === 'file') add(file, isExecutable(file.mode))
    return [...blobs.values()]
  }

  private storedReports(meta: EntryMeta): StoredReports | undefined {
    return meta.reports ? (JSON.parse(this.store.blobs.readVerified(meta.reports).toString('utf8')) as StoredReports) : undefined
  }

  /** Sends one blob unless the remote has it; the bytes sent (0 when it was there). */
  private async pushBlob(blob: BlobRef & {executable: boolean}): Promise<number> {
    const known = this.remoteBlobs.get(blob.sha256)
    if (known !== undefined) {
      // Sent (or being sent) for another entry of this run: counted there.
      await known
      return 0
    }
    const object: RemoteObject = {kind: 'blob', sha256: blob.sha256}
    const sent = (async () => {
      if (await this.transfer((deadline) => this.options.backend.has(object, deadline.signal))) return 0
      const bytes = this.store.blobs.readVerified(blob, blob.executable)
      await this.transfer((deadline) => this.options.backend.put(object, bytes, deadline.signal))
      return bytes.length
    })()
    this.remoteBlobs.set(blob.sha256, sent)
    // A failed send is tried again by the next entry that needs the blob.
    sent.catch(() => this.remoteBlobs.delete(blob.sha256))
    return sent
  }

  /** Downloads what an entry needs that the local cache lacks: small blobs first (they list the rest). */
  private async fetchContent(meta: EntryMeta): Promise<{bytes: number; blobs: number}> {
    const counts = {bytes: 0, blobs: 0}
    const fetchAll = (refs: Array<BlobRef & {executable: boolean}>): Promise<void[]> =>
      Promise.all(refs.map(async (ref) => {
        if (this.store.blobs.has(ref, ref.executable)) return
        await this.fetchBlob(ref, ref.executable)
        counts.bytes += ref.size
        counts.blobs++
      }))
    const listing = [meta.artifacts.manifest, meta.output, meta.keyManifest, ...(meta.reports ? [meta.reports] : [])]
    await fetchAll(listing.map((ref) => ({...ref, executable: false})))
    const files = [...this.store.readArtifacts(meta), ...(this.storedReports(meta)?.files ?? [])]
    await fetchAll(files.flatMap((entry) => (entry.type === 'file' ? [{sha256: entry.sha256, size: entry.size, executable: isExecutable(entry.mode)}] : [])))
    return counts
  }

  /** One blob into the local store, its bytes checked against the digest as they arrive. */
  private async fetchBlob(ref: BlobRef, executable: boolean): Promise<void> {
    await this.transfer(async (deadline) => {
      const body = await this.options.backend.get({kind: 'blob', sha256: ref.sha256}, deadline.signal)
      if (body === undefined) throw new DamagedBlobError(`blob ${ref.sha256} is not on the remote`)
      const writer = this.store.blobs.create(executable)
      try {
        let size = 0
        for await (const chunk of body as AsyncIterable<Buffer>) {
          deadline.touch()
          size += chunk.length
          if (size > ref.size) throw new DamagedBlobError(`blob ${ref.sha256} is longer than ${ref.size} bytes`)
          writer.write(chunk)
        }
        writer.commit(ref)
      } catch (error) {
        writer.abort()
        throw error
      }
    })
  }

  /** One request under the run's bound on concurrency, with the idle timeout and the retries. */
  private transfer<T>(attempt: (deadline: IdleDeadline) => Promise<T>): Promise<T> {
    return this.limiter.run(() => withRetries(this.options.policy, attempt))
  }

  private succeeded(): void {
    this.failuresInARow = 0
  }

  /** Counts a failure; after a few in a row the remote is left alone for the rest of the run. */
  private failed(error: unknown): string {
    const reason = error instanceof RemoteError ? error.message : (error as Error).message
    if ((!(error instanceof RemoteError) || error.retryable) && ++this.failuresInARow >= GIVE_UP_AFTER) {
      this.downReason = `${reason} (the remote cache is not used for the rest of this run)`
    }
    return reason
  }
}

/** A whole small body, refusing more than `max` bytes. */
async function readAll(body: AsyncIterable<Buffer> | NodeJS.ReadableStream, deadline: IdleDeadline, max: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    deadline.touch()
    size += chunk.length
    if (size > max) throw new InvalidManifestError(`the entry manifest is larger than ${max} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}
