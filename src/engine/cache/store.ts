import {closeSync, constants, fstatSync, lutimesSync, mkdirSync, openSync, readFileSync, rmSync} from 'node:fs'
import * as path from 'node:path'

import {BlobStore, DamagedBlobError, UnsafeStoreError, type BlobRef} from '../artifacts/blobs.js'
import {
  assertTree,
  InvalidManifestError,
  parseArtifactManifest,
  serialiseArtifactManifest,
  summarise,
  type ArtifactEntry,
  type ArtifactSummary,
} from '../artifacts/manifest.js'
import {isExecutable, materialise} from '../artifacts/materialise.js'
import {replaceFile} from '../atomic-file.js'
import type {JobWarning} from '../executor/types.js'
import type {JunitReports} from '../records/events.js'
import {CACHE_FORMAT, canonicalJson} from './format.js'
import type {KeyManifest} from './key.js'
import type {EntrySignature, EntrySigner} from './signing.js'

/** Output of a step as it was emitted (already masked). */
export interface OutputChunk {
  step: number
  stream: 'stdout' | 'stderr'
  text: string
}

/**
 * An entry's manifest, `entries/<key>.json`: the job's key, the digests of its artifact
 * manifest (every file's path, type, mode, size and sha256; links with their target), of its
 * recorded output and of its key manifest. Everything else is content stored by digest.
 */
export interface EntryMeta {
  format: number
  key: string
  job: string
  projectDir: string
  /** The run that produced the entry. */
  runId: string
  createdAt: string
  artifacts: ArtifactSummary & {manifest: BlobRef}
  output: BlobRef
  keyManifest: BlobRef
  /** What the job was warned about when it ran (replayed on hits). */
  warnings: JobWarning[]
  /** The job's outputs (declared names; never a secret's value), for a job that declares outputs. */
  outputs?: Record<string, string>
  /** The job's JUnit reports (`StoredReports` as JSON), for a job that has reports. */
  reports?: BlobRef
  /** Bytes the entry refers to (shared blobs count in every entry that uses them). */
  size: number
  /** Present when a signing key was configured when the entry was written. */
  signature?: EntrySignature
}

export type EntryRead =
  | {status: 'found'; meta: EntryMeta}
  | {status: 'absent'}
  /** Damaged or not written by orca: removed. */
  | {status: 'corrupt'; reason: string}
  /** Signing is on and the entry's signature is missing or wrong: removed, never restored. */
  | {status: 'untrusted'; reason: string}

export interface PublishInput {
  key: string
  job: string
  projectDir: string
  runId: string
  manifest: KeyManifest
  /** The job's artifacts as collected (masked paths), their content already in the store's blobs. */
  artifacts: readonly ArtifactEntry[]
  output: OutputChunk[]
  warnings?: JobWarning[]
  outputs?: Record<string, string>
  reports?: StoredReports
}

/** A job's JUnit reports as an entry keeps them: what the event told, and the files (content by digest). */
export interface StoredReports {
  junit: JunitReports
  files: ArtifactEntry[]
}

/** The entry is damaged: the caller treats it as a miss; the store has already removed it. */
export class CorruptEntryError extends Error {
  override name = 'CorruptEntryError'
}

const SHA256 = /^[0-9a-f]{64}$/

/**
 * The content-addressed cache on disk (format CACHE_FORMAT): `blobs/` holds file content by digest,
 * shared by every entry (an unchanged file is stored once), and `entries/<key>.json` one manifest
 * per key, written to a temp file and renamed into place. Reads check the manifest's shape and, when
 * a signer is given, its signature; restores check every byte against its digest and never follow a
 * link. A damaged or untrusted entry is removed (a miss, never a wrong result).
 */
export class CacheStore {
  readonly root: string
  readonly blobs: BlobStore

  constructor(
    readonly dir: string,
    readonly signer?: EntrySigner,
  ) {
    this.root = path.join(dir, `v${CACHE_FORMAT}`)
    this.blobs = new BlobStore(path.join(this.root, 'blobs'), this.tmpDir, path.join(this.root, 'packs'))
  }

  get tmpDir(): string {
    return path.join(this.root, 'tmp')
  }

  get entriesDir(): string {
    return path.join(this.root, 'entries')
  }

  /** The manifest file of a key's entry. */
  entryFile(key: string): string {
    if (!SHA256.test(key)) throw new Error(`not a cache key: ${key}`)
    return path.join(this.entriesDir, `${key}.json`)
  }

  /** Reads an entry's manifest; a damaged or untrusted one is removed and reported as such. */
  read(key: string): EntryRead {
    const file = this.entryFile(key)
    let text: string
    try {
      this.blobs.realDir(path.dirname(file), false)
      text = readRegularFile(file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {status: 'absent'}
      // A folder swapped for a link is not removed through: it is reported, and the entry left to `orca cache clear`.
      if (error instanceof UnsafeStoreError) return {status: 'corrupt', reason: error.message}
      return this.corrupt(key, 'its manifest is not a readable file')
    }
    const meta = parseEntry(text, key)
    if (meta === undefined) return this.corrupt(key, 'its manifest does not describe this key')
    if (this.signer) {
      const problem = this.signer.check(signedPayload(meta), meta.signature)
      if (problem !== undefined) {
        this.discard(key)
        return {status: 'untrusted', reason: problem}
      }
    }
    return {status: 'found', meta}
  }

  /**
   * Checks an entry's manifest that came from elsewhere (a remote cache) as `read` checks one on
   * disk: its shape, that it names `key`, and its signature when signing is on. Nothing is written.
   */
  checkEntry(key: string, text: string): EntryRead {
    const meta = parseEntry(text, key)
    if (meta === undefined) return {status: 'corrupt', reason: 'its manifest does not describe this key'}
    const problem = this.signer?.check(signedPayload(meta), meta.signature)
    return problem === undefined ? {status: 'found', meta} : {status: 'untrusted', reason: problem}
  }

  /** Stores a manifest checked by `checkEntry` whose content is all in the blobs already. */
  adoptEntry(key: string, text: string): void {
    this.writeEntry(key, text)
  }

  /** The entry's artifact manifest, checked against its digest and the entry's counts. */
  readArtifacts(meta: EntryMeta): ArtifactEntry[] {
    return this.guard(meta.key, () => artifactsOf(meta, this.blobs.readVerified(meta.artifacts.manifest)))
  }

  /** The entry's artifacts with every file's content checked against its digest (what a dependent may be given). */
  checkedArtifacts(meta: EntryMeta): ArtifactEntry[] {
    const entries = this.readArtifacts(meta)
    this.guard(meta.key, () => {
      for (const entry of entries) if (entry.type === 'file') this.blobs.verify(entry, isExecutable(entry.mode))
    })
    return entries
  }

  /** The entry's JUnit reports, their files linked into `dir` (each checked against its digest). */
  restoreReports(meta: EntryMeta, dir: string): JunitReports | undefined {
    const ref = meta.reports
    if (ref === undefined) return undefined
    return this.guard(meta.key, () => {
      const stored = JSON.parse(this.blobs.readVerified(ref).toString('utf8')) as StoredReports
      assertTree(stored.files)
      if (stored.files.length > 0) materialise(stored.files, this.blobs, dir, {link: true})
      return stored.junit
    })
  }

  /** Gives `target` the entry's artifact manifest: a hard link to its blob (a copy across filesystems), not read. */
  linkArtifactManifest(meta: EntryMeta, target: string): void {
    mkdirSync(path.dirname(target), {recursive: true})
    this.guard(meta.key, () => this.blobs.linkTo(meta.artifacts.manifest, false, target, 0o444))
  }

  /** The recorded output of the job, checked against its digest. */
  readOutput(meta: EntryMeta): OutputChunk[] {
    return this.guard(meta.key, () =>
      this.blobs
        .readVerified(meta.output)
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as OutputChunk),
    )
  }

  /** The text of an entry's manifest as stored (unchecked); undefined when there is none. */
  readManifestFile(key: string): string | undefined {
    try {
      return readRegularFile(this.entryFile(key))
    } catch {
      return undefined
    }
  }

  /** The key manifest stored with an entry, for explanations; undefined when absent or unreadable. */
  readManifest(key: string): KeyManifest | undefined {
    try {
      const meta = parseEntry(readRegularFile(this.entryFile(key)), key)
      return meta === undefined ? undefined : (JSON.parse(this.blobs.readVerified(meta.keyManifest).toString('utf8')) as KeyManifest)
    } catch {
      return undefined
    }
  }

  /** Marks the entry as just used (LRU order for pruning). */
  touch(key: string): void {
    const now = new Date()
    try {
      lutimesSync(this.entryFile(key), now, now)
    } catch {
      // Removed meanwhile by another process's prune: nothing to mark.
    }
  }

  /**
   * Stores the job's files as blobs, then its manifest under the key. `exists` when a sound entry
   * (and, with signing, a trusted one) is already there: same key, same content, the first one stays.
   */
  publish(input: PublishInput): 'stored' | 'exists' {
    // A reader holding only public keys writes nothing it could not vouch for.
    if (this.signer && !this.signer.canSign) throw new Error('the cache signing configuration has no private key: entries are only read')
    if (this.read(input.key).status === 'found') return 'exists'
    const artifacts = input.artifacts
    for (const entry of artifacts) {
      if (entry.type === 'file' && !this.blobs.has(entry, isExecutable(entry.mode))) throw new Error(`the content of artifact ${entry.path} is not in the cache`)
    }
    const list = serialiseArtifactManifest(artifacts)
    const output = input.output.map((c) => JSON.stringify(c) + '\n').join('')
    const keyManifest = JSON.stringify(input.manifest)
    const refs = {
      list: this.blobs.putBytes(Buffer.from(list)),
      output: this.blobs.putBytes(Buffer.from(output)),
      keyManifest: this.blobs.putBytes(Buffer.from(keyManifest)),
    }
    const summary = summarise(artifacts)
    for (const file of input.reports?.files ?? []) {
      if (file.type === 'file' && !this.blobs.has(file, isExecutable(file.mode))) throw new Error(`the content of report ${file.path} is not in the cache`)
    }
    const reports = input.reports ? this.blobs.putBytes(Buffer.from(JSON.stringify(input.reports))) : undefined
    const meta: EntryMeta = {
      format: CACHE_FORMAT,
      key: input.key,
      job: input.job,
      projectDir: input.projectDir,
      runId: input.runId,
      createdAt: new Date().toISOString(),
      artifacts: {...summary, manifest: refs.list},
      output: refs.output,
      keyManifest: refs.keyManifest,
      warnings: input.warnings ?? [],
      ...(input.outputs ? {outputs: input.outputs} : {}),
      ...(reports ? {reports} : {}),
      size: summary.bytes + refs.list.size + refs.output.size + refs.keyManifest.size + (reports?.size ?? 0),
    }
    if (this.signer) meta.signature = this.signer.sign(signedPayload(meta))
    this.writeEntry(input.key, JSON.stringify(meta))
    return 'stored'
  }

  /** Removes an entry's manifest; its blobs stay until a prune finds nothing refers to them. */
  discard(key: string): void {
    const file = this.entryFile(key)
    try {
      this.blobs.realDir(path.dirname(file), false)
    } catch {
      return // never removed through a folder swapped for a link
    }
    rmSync(file, {force: true})
  }

  private writeEntry(key: string, text: string): void {
    const final = this.entryFile(key)
    this.blobs.realDir(path.dirname(final), true)
    // Through a temp file next to it and a rename: readers see a whole manifest or none.
    replaceFile(final, text)
  }

  /** Runs a read of the entry's content; anything damaged removes the entry and becomes CorruptEntryError. */
  private guard<T>(key: string, read: () => T): T {
    try {
      return read()
    } catch (error) {
      if (error instanceof DamagedBlobError || error instanceof InvalidManifestError || error instanceof UnsafeStoreError || error instanceof SyntaxError) {
        throw this.damaged(key, error.message)
      }
      if ((error as NodeJS.ErrnoException).code === 'ELOOP' || (error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw this.damaged(key, `the entry would be restored through a link (${(error as Error).message})`)
      }
      throw error
    }
  }

  private corrupt(key: string, reason: string): EntryRead {
    this.discard(key)
    return {status: 'corrupt', reason}
  }

  private damaged(key: string, reason: string): CorruptEntryError {
    this.discard(key)
    return new CorruptEntryError(reason)
  }
}

/** The entry's artifacts from its artifact manifest's bytes (checked against its digest by the caller), which must match the entry's counts. */
export function artifactsOf(meta: EntryMeta, manifest: Buffer): ArtifactEntry[] {
  const entries = parseArtifactManifest(manifest.toString('utf8'))
  const summary = summarise(entries)
  if (summary.count !== meta.artifacts.count || summary.bytes !== meta.artifacts.bytes) {
    throw new InvalidManifestError('the artifact manifest does not match the entry')
  }
  return entries
}

/** What a signature covers: the whole manifest but the signature, as canonical JSON. */
function signedPayload(meta: EntryMeta): string {
  const {signature: _signature, ...rest} = meta
  return canonicalJson(rest)
}

/** A file read whole, refusing a link at its name (O_NOFOLLOW) and anything but a regular file. */
function readRegularFile(file: string): string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    if (!fstatSync(fd).isFile()) throw Object.assign(new Error(`${file} is not a file`), {code: 'EISDIR'})
    return readFileSync(fd, 'utf8')
  } finally {
    closeSync(fd)
  }
}

function isBlobRef(value: unknown): value is BlobRef {
  const ref = value as BlobRef | null
  return typeof ref === 'object' && ref !== null && typeof ref.sha256 === 'string' && SHA256.test(ref.sha256) && Number.isSafeInteger(ref.size) && ref.size >= 0
}

/** The manifest when it is well formed and names `key`; undefined otherwise. */
export function parseEntry(text: string, key: string): EntryMeta | undefined {
  let meta: EntryMeta
  try {
    meta = JSON.parse(text) as EntryMeta
  } catch {
    return undefined
  }
  const artifacts = meta?.artifacts as Partial<EntryMeta['artifacts']> | undefined
  const ok =
    typeof meta === 'object' && meta !== null &&
    meta.format === CACHE_FORMAT && meta.key === key && typeof meta.job === 'string' && typeof meta.runId === 'string' &&
    typeof artifacts === 'object' && artifacts !== null && isBlobRef(artifacts.manifest) &&
    Number.isSafeInteger(artifacts.count) && Number.isSafeInteger(artifacts.bytes) &&
    isBlobRef(meta.output) && isBlobRef(meta.keyManifest) && Array.isArray(meta.warnings) &&
    (meta.reports === undefined || isBlobRef(meta.reports)) &&
    (meta.outputs === undefined || (typeof meta.outputs === 'object' && meta.outputs !== null && Object.values(meta.outputs).every((v) => typeof v === 'string')))
  return ok ? meta : undefined
}
