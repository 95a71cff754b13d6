import {DamagedBlobError, type BlobRef} from '../../artifacts/blobs.js'
import {InvalidManifestError} from '../../artifacts/manifest.js'
import {isExecutable} from '../../artifacts/materialise.js'
import {artifactsOf, type CacheStore, type EntryMeta, type StoredReports} from '../store.js'
import type {VolumeMeta, VolumeStore} from '../volume-store.js'
import {RemoteError, type RemoteBackend, type RemoteObject} from './backend.js'
import {checkedPieces, joinBundle, joinPack, PACK_MAX_BYTES, PACK_MIN_FILES, packOf, splitBundle, splitPack, type Pack} from './pack.js'
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
  /** Small files travel in one pack per entry (default); false sends and fetches every file as its own blob. */
  packs?: boolean
  /**
   * An entry is sent as a bundle, its manifest and small files in one object (default with packs);
   * false sends the manifest and packs apart, as orca did before bundles. Both are read.
   */
  bundles?: boolean
}

/** What a remote lookup found; anything but `hit` leaves the job a miss. */
export type RemoteLookup =
  | {result: 'hit'; meta: EntryMeta; durationMs: number; /** Bytes and blobs downloaded (the rest were in the local cache). */ bytes: number; blobs: number}
  | {result: 'miss'; durationMs: number}
  /** The entry was there but not trusted (signature), or its content did not match its manifest. */
  | {result: 'untrusted' | 'damaged'; reason: string; durationMs: number}
  /** The remote could not be reached in time; `repeated` once it was already said in this run. */
  | {result: 'unavailable'; reason: string; durationMs: number; repeated: boolean}

/** A lookup whose hit is downloaded but not yet adopted into the local cache (see `fetchEntry`). */
export type RemoteFetch = Exclude<RemoteLookup, {result: 'hit'}> | (Extract<RemoteLookup, {result: 'hit'}> & {text: string})

/** What a remote lookup of a keyed volume found; a hit's manifest and tar are in the local cache when it returns. */
export type RemoteVolumeLookup =
  | {result: 'hit'; meta: VolumeMeta; durationMs: number; bytes: number}
  | {result: 'miss'; durationMs: number}
  | {result: 'untrusted' | 'damaged' | 'unavailable'; reason: string; durationMs: number}

/** A file of an entry as the local store keeps it (an executable file is stored apart). */
type StoredBlob = BlobRef & {executable: boolean}

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
/** Largest bundle read: a manifest and its two packs. */
const MAX_BUNDLE_BYTES = MAX_MANIFEST_BYTES + 2 * PACK_MAX_BYTES + 64
/** Failures in a row, none succeeding, after which the remote is left alone for the rest of the run. */
const GIVE_UP_AFTER = 2

/**
 * A remote cache in front of the local one. A lookup downloads the entry's bundle (its manifest and
 * small files; pack.ts), checks the manifest (shape, key, signature) before anything else, then the
 * bundle's files and the large blobs the local cache lacks, each checked against its digest, and only
 * then adopts the manifest locally: a remote hit is then restored as a local one. Uploads run in the
 * background, bounded by `concurrency`, large blobs first and the bundle last, so a reader never finds
 * an entry whose content is missing; a blob the remote already holds is not sent again. Every failure
 * is a miss or a failed upload, never an error.
 */
export class RemoteCache {
  readonly description: string
  private readonly limiter: Limiter
  private readonly uploads = new Set<Promise<void>>()
  /** Blobs (by digest) and packs (`pack:<id>`) sent or found on the remote in this run: each is checked or sent once. */
  private readonly remoteBlobs = new Map<string, Promise<number>>()
  private failuresInARow = 0
  private downReason?: string
  /** An unreachable remote was told by a lookup of this run. */
  private unavailableTold = false

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

  /**
   * Looks a key up on the remote; a hit is in the local cache when this returns. `ahead` is what
   * `fetchEntry` started earlier for this key (the run looks every job up before its turn comes).
   * Never throws.
   */
  async lookup(key: string, ahead?: Promise<RemoteFetch>): Promise<RemoteLookup> {
    const found = await (ahead ?? this.fetchEntry(key))
    if (found.result === 'unavailable') {
      // Lookups made ahead all start before any fails: the run still says it once.
      const repeated = found.repeated || (ahead !== undefined && this.unavailableTold)
      this.unavailableTold = true
      return {...found, repeated}
    }
    if (found.result !== 'hit') return found
    const {text, ...hit} = found
    this.store.adoptEntry(key, text)
    return hit
  }

  /**
   * Downloads and checks the entry under a key and every blob of it the local cache lacks, leaving
   * the manifest out of the local cache (`lookup` adopts it): a job looked up ahead of its turn is
   * still told apart from one found locally. Never throws.
   */
  async fetchEntry(key: string): Promise<RemoteFetch> {
    const started = Date.now()
    const took = (): number => Date.now() - started
    if (this.downReason !== undefined) return {result: 'unavailable', reason: this.downReason, durationMs: 0, repeated: true}
    try {
      const found = await this.transfer(async (deadline) => {
        if (this.bundles) {
          const body = await this.options.backend.get(this.bundleObject(key), deadline.signal)
          if (body !== undefined) return splitBundle(await readAll(body, deadline, MAX_BUNDLE_BYTES, () => new DamagedBlobError(`the entry bundle is larger than ${MAX_BUNDLE_BYTES} bytes`)))
        }
        // No bundle: an entry sent as its manifest and packs (by an orca from before bundles), or none.
        const body = await this.options.backend.get(this.entryObject(key), deadline.signal)
        return body === undefined ? undefined : {manifest: (await readAll(body, deadline, MAX_MANIFEST_BYTES)).toString('utf8'), rest: undefined}
      })
      this.succeeded()
      if (found === undefined) return {result: 'miss', durationMs: took()}
      const text = found.manifest
      const checked = this.store.checkEntry(key, text)
      if (checked.status === 'untrusted') return {result: 'untrusted', reason: checked.reason, durationMs: took()}
      if (checked.status !== 'found') return {result: 'damaged', reason: checked.status === 'corrupt' ? checked.reason : 'its manifest is missing', durationMs: took()}
      const got = found.rest === undefined ? await this.fetchContent(checked.meta) : await this.landBundle(checked.meta, found.rest)
      return {result: 'hit', meta: checked.meta, durationMs: took(), ...got, text}
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
      const found = await this.transfer((deadline) => this.entryExists(key, deadline))
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
    this.inBackground(this.push(key).then(told))
  }

  /** Uploads a keyed volume's local entry in the background, as `upload` does a job's. */
  uploadVolume(volumes: VolumeStore, key: string, told: (upload: RemoteUpload) => void): void {
    if (this.options.readOnly) return
    this.inBackground(this.pushVolume(volumes, key).then(told))
  }

  private inBackground(upload: Promise<void>): void {
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
      if (await this.transfer((deadline) => this.entryExists(key, deadline))) return result({result: 'exists', blobs: 0, bytes: 0})
      if (this.bundles) return result(await this.pushBundle(key, text, read.meta))
      const entryObject = this.entryObject(key)
      const listing = uniqueBlobs(listingOf(read.meta).map((ref) => ({sha256: ref.sha256, size: ref.size, executable: false})))
      const files = uniqueBlobs(this.filesOf(read.meta))
      const packs = [this.packOf(listing, 2), this.packOf(files, PACK_MIN_FILES)].flatMap((pack) => (pack ? [pack] : []))
      // Packed files are sent as blobs too (a blob shared by two entries once): an orca that reads no packs, and other entries sharing a file, still find them.
      const sent = await Promise.all([...[...listing, ...files].map((blob) => this.pushBlob(blob)), ...packs.map((pack) => this.pushPack(pack, files))])
      await this.transfer((deadline) => this.options.backend.put(entryObject, Buffer.from(text), deadline.signal))
      this.succeeded()
      const bytes = sent.reduce((sum, n) => sum + n, 0)
      return result({result: 'uploaded', blobs: sent.filter((n) => n > 0).length, bytes: bytes + text.length})
    } catch (error) {
      return result({result: 'failed', blobs: 0, bytes: 0, reason: this.failed(error)})
    }
  }

  /**
   * Looks a keyed volume up: its manifest, checked (shape, key, signature) before anything else, then
   * its tar into the local blobs (checked against its digest), then the manifest adopted. Never throws.
   */
  async lookupVolume(volumes: VolumeStore, key: string): Promise<RemoteVolumeLookup> {
    const started = Date.now()
    const took = (): number => Date.now() - started
    if (this.downReason !== undefined) return {result: 'unavailable', reason: this.downReason, durationMs: 0}
    try {
      const object = this.volumeObject(key)
      const text = await this.transfer(async (deadline) => {
        const body = await this.options.backend.get(object, deadline.signal)
        return body === undefined ? undefined : (await readAll(body, deadline, MAX_MANIFEST_BYTES)).toString('utf8')
      })
      this.succeeded()
      if (text === undefined) return {result: 'miss', durationMs: took()}
      const checked = volumes.check(key, text)
      if (checked.status === 'untrusted') return {result: 'untrusted', reason: checked.reason, durationMs: took()}
      if (checked.status !== 'found') return {result: 'damaged', reason: checked.status === 'corrupt' ? checked.reason : 'its manifest is missing', durationMs: took()}
      const tar = checked.meta.tar
      const absent = !this.store.blobs.has(tar)
      if (absent) await this.fetchBlob(tar, false)
      volumes.adopt(key, text)
      return {result: 'hit', meta: checked.meta, durationMs: took(), bytes: absent ? tar.size : 0}
    } catch (error) {
      if (error instanceof DamagedBlobError || error instanceof InvalidManifestError) return {result: 'damaged', reason: error.message, durationMs: took()}
      return {result: 'unavailable', reason: this.failed(error), durationMs: took()}
    }
  }

  /** Whether the remote holds a keyed volume's entry (one HEAD). Never throws. */
  async hasVolume(key: string): Promise<boolean | 'unavailable'> {
    if (this.downReason !== undefined) return 'unavailable'
    try {
      const found = await this.transfer((deadline) => this.options.backend.has(this.volumeObject(key), deadline.signal))
      this.succeeded()
      return found
    } catch (error) {
      this.failed(error)
      return 'unavailable'
    }
  }

  /** Sends a keyed volume's local entry: its tar unless the remote has it, then its manifest. Never throws. */
  async pushVolume(volumes: VolumeStore, key: string): Promise<RemoteUpload> {
    const started = Date.now()
    const result = (body: Omit<RemoteUpload, 'key' | 'durationMs'>): RemoteUpload => ({key, durationMs: Date.now() - started, ...body})
    if (this.options.readOnly) return result({result: 'failed', blobs: 0, bytes: 0, reason: 'the remote cache is read-only'})
    if (this.downReason !== undefined) return result({result: 'failed', blobs: 0, bytes: 0, reason: this.downReason})
    const text = volumes.readManifestFile(key)
    const read = text === undefined ? undefined : volumes.check(key, text)
    if (text === undefined || read?.status !== 'found') return result({result: 'failed', blobs: 0, bytes: 0, reason: 'the local entry is gone or not trusted'})
    try {
      const sent = await this.pushBlob({...read.meta.tar, executable: false})
      await this.transfer((deadline) => this.options.backend.put(this.volumeObject(key), Buffer.from(text), deadline.signal))
      this.succeeded()
      return result({result: 'uploaded', blobs: sent > 0 ? 1 : 0, bytes: sent + text.length})
    } catch (error) {
      return result({result: 'failed', blobs: 0, bytes: 0, reason: this.failed(error)})
    }
  }

  private volumeObject(key: string): RemoteObject {
    return {kind: 'volume', namespace: this.options.namespace, key}
  }

  private entryObject(key: string): RemoteObject {
    return {kind: 'entry', namespace: this.options.namespace, key}
  }

  private bundleObject(key: string): RemoteObject {
    return {kind: 'bundle', namespace: this.options.namespace, key}
  }

  private get bundles(): boolean {
    return this.options.packs !== false && this.options.bundles !== false
  }

  /** Whether the remote holds the key's entry, as a bundle or (sent before bundles) as a manifest. */
  private async entryExists(key: string, deadline: IdleDeadline): Promise<boolean> {
    if (this.bundles && (await this.options.backend.has(this.bundleObject(key), deadline.signal))) return true
    return this.options.backend.has(this.entryObject(key), deadline.signal)
  }

  /**
   * Sends an entry as a bundle: its large files first as blobs (each once, across entries), then one
   * object with its manifest, its listing and its small files (pack.ts).
   */
  private async pushBundle(key: string, text: string, meta: EntryMeta): Promise<Omit<RemoteUpload, 'key' | 'durationMs'>> {
    const listing = uniqueBlobs(listingOf(meta).map((ref) => ({sha256: ref.sha256, size: ref.size, executable: false})))
    const files = uniqueBlobs(this.filesOf(meta))
    const packs = bundlePacks(listing, files)
    const packed = new Set(packs.flatMap((pack) => pack.members.map((m) => m.sha256)))
    const sent = await Promise.all([...listing, ...files].filter((blob) => !packed.has(blob.sha256)).map((blob) => this.pushBlob(blob)))
    // A listing blob is never executable; a file may be stored only as one.
    const executable = new Map(files.map((f) => [f.sha256, f.executable]))
    const bundle = joinBundle(text, packs.map((pack) => joinPack(pack, (member) => this.store.blobs.readVerified(member, executable.get(member.sha256)))))
    await this.transfer((deadline) => this.options.backend.put(this.bundleObject(key), bundle, deadline.signal))
    this.succeeded()
    return {result: 'uploaded', blobs: packed.size + sent.filter((n) => n > 0).length, bytes: bundle.length + sent.reduce((sum, n) => sum + n, 0)}
  }

  /**
   * Takes a bundle's content (what follows its checked manifest) into the local store: its listing
   * and small files, each checked against its digest, as one local pack, and the large files the
   * local store lacks blob by blob. Counts what the local store lacked, as `fetchContent` does.
   */
  private async landBundle(meta: EntryMeta, rest: Buffer): Promise<{bytes: number; blobs: number}> {
    const listingRefs = listingOf(meta).map((ref) => ({sha256: ref.sha256, size: ref.size, executable: false}))
    const absentListing = this.absentOf(listingRefs)
    const [listingPack] = bundlePacks(uniqueBlobs(listingRefs), [])
    const listingBytes = listingPack?.bytes ?? 0
    if (rest.length < listingBytes) throw new DamagedBlobError(`the entry bundle holds ${rest.length} bytes, fewer than its listing's ${listingBytes}`)
    const listing = listingPack ? checkedPieces(listingPack, rest.subarray(0, listingBytes)) : new Map<string, Buffer>()
    // A listing blob too large for the bundle (an output of more than 32 MiB) comes on its own.
    await Promise.all(absentListing.filter((ref) => !listing.has(ref.sha256)).map((ref) => this.fetchBlob(ref, false)))
    const files = this.filesOf(meta, (ref) => listing.get(ref.sha256) ?? this.store.blobs.readVerified(ref))
    const absentFiles = this.absentOf(files)
    const filesPack = bundlePacks([], uniqueBlobs(files))[0]
    const fileBytes = rest.subarray(listingBytes)
    if (fileBytes.length !== (filesPack?.bytes ?? 0)) throw new DamagedBlobError(`the entry bundle holds ${fileBytes.length} bytes of files, not ${filesPack?.bytes ?? 0}`)
    const inBundle = new Map([...listing, ...(filesPack ? splitPack(filesPack, fileBytes).map((p) => [p.member.sha256, p.bytes] as const) : [])])
    const land = uniqueBlobs([...absentListing, ...absentFiles].filter((ref) => inBundle.has(ref.sha256)))
    // putPack checks every file against its digest before anything is written.
    if (land.length > 0) this.store.blobs.putPack(land.map((ref) => ({ref: {sha256: ref.sha256, size: ref.size}, bytes: inBundle.get(ref.sha256)!})))
    await Promise.all(absentFiles.filter((ref) => !inBundle.has(ref.sha256)).map((ref) => this.fetchBlob(ref, ref.executable)))
    const absent = [...absentListing, ...absentFiles]
    return {bytes: absent.reduce((sum, ref) => sum + ref.size, 0), blobs: absent.length}
  }

  /** The refs the local store lacks, each stored blob (digest and mode) once. */
  private absentOf(refs: readonly StoredBlob[]): StoredBlob[] {
    return [...new Map(refs.map((ref) => [`${ref.sha256}:${ref.executable}`, ref])).values()].filter((ref) => !this.store.blobs.has(ref, ref.executable))
  }

  /**
   * Each file of the entry (artifacts and report files) as stored locally; a digest may come twice,
   * once executable. `read` gives a listing blob's bytes, checked against its digest.
   */
  private filesOf(meta: EntryMeta, read = (ref: BlobRef): Buffer => this.store.blobs.readVerified(ref)): StoredBlob[] {
    const reports = meta.reports ? (JSON.parse(read(meta.reports).toString('utf8')) as StoredReports).files : []
    return [...artifactsOf(meta, read(meta.artifacts.manifest)), ...reports].flatMap((entry) =>
      entry.type === 'file' ? [{sha256: entry.sha256, size: entry.size, executable: isExecutable(entry.mode)}] : [],
    )
  }

  private packOf(blobs: readonly BlobRef[], minFiles: number): Pack | undefined {
    return this.options.packs === false ? undefined : packOf(blobs, minFiles)
  }

  /** Sends one blob unless the remote has it; the bytes sent (0 when it was there). */
  private pushBlob(blob: StoredBlob): Promise<number> {
    return this.pushOnce(blob.sha256, {kind: 'blob', sha256: blob.sha256}, () => this.store.blobs.readVerified(blob, blob.executable))
  }

  /** Sends an entry's pack unless the remote has it; the bytes sent (0 when it was there). */
  private pushPack(pack: Pack, files: readonly StoredBlob[]): Promise<number> {
    const executable = new Map(files.map((f) => [f.sha256, f.executable]))
    // A listing blob is never executable; a file may be stored only as one.
    return this.pushOnce(`pack:${pack.id}`, {kind: 'pack', id: pack.id}, () => joinPack(pack, (member) => this.store.blobs.readVerified(member, executable.get(member.sha256))))
  }

  /** Sends an object by content unless the remote has it, once per run (`id`); the bytes sent. */
  private async pushOnce(id: string, object: RemoteObject, read: () => Buffer): Promise<number> {
    const known = this.remoteBlobs.get(id)
    if (known !== undefined) {
      // Sent (or being sent) for another entry of this run: counted there.
      await known
      return 0
    }
    const sent = (async () => {
      if (await this.transfer((deadline) => this.options.backend.has(object, deadline.signal))) return 0
      const bytes = read()
      await this.transfer((deadline) => this.options.backend.put(object, bytes, deadline.signal))
      return bytes.length
    })()
    this.remoteBlobs.set(id, sent)
    // A failed send is tried again by the next entry that needs it.
    sent.catch(() => this.remoteBlobs.delete(id))
    return sent
  }

  /**
   * Downloads what an entry needs that the local cache lacks: the listing first (it names the files),
   * then the files; each set's small blobs in one pack when it has one, the others blob by blob.
   */
  private async fetchContent(meta: EntryMeta): Promise<{bytes: number; blobs: number}> {
    // The listing is read at once (output, artifact manifest): its blobs land as blobs of their own.
    const listing = await this.fetchSet(listingOf(meta).map((ref) => ({sha256: ref.sha256, size: ref.size, executable: false})), 2, false)
    const files = await this.fetchSet(this.filesOf(meta), PACK_MIN_FILES, true)
    return {bytes: listing.bytes + files.bytes, blobs: listing.blobs + files.blobs}
  }

  /**
   * The blobs of `refs` the local cache lacks, each stored once: those of its pack (when it has one) in
   * one request, landing as one local pack when `landAsPack` (one file written instead of one per blob).
   */
  private async fetchSet(refs: StoredBlob[], minPacked: number, landAsPack: boolean): Promise<{bytes: number; blobs: number}> {
    // Each stored blob once: a file listed under two names is downloaded once.
    const absent = this.absentOf(refs)
    const pack = absent.length > 0 ? this.packOf(uniqueBlobs(refs), minPacked) : undefined
    const packed = new Set(pack?.members.map((m) => m.sha256))
    const fromPack = absent.filter((ref) => packed.has(ref.sha256))
    // An entry sent before packs (or with packs off) has none: its small blobs are blobs of their own.
    const unpacked = fromPack.length > 0 && (await this.fetchPack(pack!, fromPack, landAsPack))
    const single = unpacked ? absent.filter((ref) => !packed.has(ref.sha256)) : absent
    await Promise.all(single.map((ref) => this.fetchBlob(ref, ref.executable)))
    return {bytes: absent.reduce((sum, ref) => sum + ref.size, 0), blobs: absent.length}
  }

  /**
   * The pack's members the local store lacks into it, each checked against its digest: as one local
   * pack (`landAsPack`) or one blob each; false when the remote has no such pack.
   */
  private async fetchPack(pack: Pack, wanted: readonly StoredBlob[], landAsPack: boolean): Promise<boolean> {
    return this.transfer(async (deadline) => {
      const body = await this.options.backend.get({kind: 'pack', id: pack.id}, deadline.signal)
      if (body === undefined) return false
      const pieces = new Map(splitPack(pack, await readAll(body, deadline, pack.bytes, () => new DamagedBlobError(`pack ${pack.id} is longer than ${pack.bytes} bytes`))).map((p) => [p.member.sha256, p.bytes]))
      if (landAsPack) {
        const members = uniqueBlobs(wanted).map((ref) => ({ref: {sha256: ref.sha256, size: ref.size}, bytes: pieces.get(ref.sha256)!}))
        this.store.blobs.putPack(members)
        return true
      }
      for (const ref of wanted) {
        if (this.store.blobs.has(ref, ref.executable)) continue
        const writer = this.store.blobs.create(ref.executable)
        try {
          writer.write(pieces.get(ref.sha256)!)
          writer.commit(ref)
        } catch (error) {
          writer.abort()
          throw error
        }
      }
      return true
    })
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

/** Each digest once (the first of its modes): what is sent, and what a pack is made of. */
function uniqueBlobs(refs: readonly StoredBlob[]): StoredBlob[] {
  return [...new Map(refs.map((ref) => [ref.sha256, ref])).values()]
}

/** A bundle's packs: the listing's blobs (all but one too large for a pack), then the small files; either may be absent. */
function bundlePacks(listing: readonly BlobRef[], files: readonly BlobRef[]): Pack[] {
  return [packOf(listing, 1, PACK_MAX_BYTES), packOf(files, 1)].flatMap((pack) => (pack ? [pack] : []))
}

/** The blobs that list an entry's content: its artifact manifest, recorded output, key manifest and reports. */
function listingOf(meta: EntryMeta): BlobRef[] {
  return [meta.artifacts.manifest, meta.output, meta.keyManifest, ...(meta.reports ? [meta.reports] : [])]
}

/** A whole body, refusing more than `max` bytes. */
async function readAll(
  body: AsyncIterable<Buffer> | NodeJS.ReadableStream,
  deadline: IdleDeadline,
  max: number,
  tooLong: () => Error = () => new InvalidManifestError(`the entry manifest is larger than ${max} bytes`),
): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    deadline.touch()
    size += chunk.length
    if (size > max) throw tooLong()
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}
