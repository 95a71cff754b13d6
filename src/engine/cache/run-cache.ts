import {existsSync, rmSync} from 'node:fs'

import type {ArtifactEntry} from '../artifacts/manifest.js'
import {nameTable} from '../name-table.js'
import {jobInputFiles, selectInputs} from '../plan/inputs.js'
import type {ProjectFiles} from '../plan/project-files.js'
import {runsOnHost, type Job} from '../pipeline/types.js'
import type {JobWarning} from '../executor/types.js'
import type {CacheUse, JunitReports} from '../records/events.js'
import {canonicalJson, sha256, shortKey} from './format.js'
import {BuildContexts} from './build-context.js'
import {InputHasher, type HashedInput} from './hash-inputs.js'
import type {HostKeyOutput} from '../executor/host/key-commands.js'
import {gitState, type GitState} from '../plan/git-state.js'
import {keyManifest, keyOf, uncachedReason, usesCache, type KeyManifest} from './key.js'
import {removeLegacyIndexes} from './index-files.js'
import {statIndexFile, writeLast} from './last.js'
import {pruneCache} from './maintenance.js'
import type {ImageIdResolver} from './image-id.js'
import type {RemoteCache, RemoteFetch, RemoteLookup, RemoteUpload} from './remote/remote-cache.js'
import {CorruptEntryError, type CacheStore, type EntryMeta, type OutputChunk, type StoredReports} from './store.js'
import {volumeKey, type KeyedVolume} from './volume-key.js'
import {VolumeStore} from './volume-store.js'

export interface RunCacheOptions {
  store: CacheStore
  projectDir: string
  /** The project's files: the universe of inputs. */
  projectFiles: ProjectFiles
  envOverrides: Record<string, string>
  /** `--no-cache`: keys are computed and results stored, but nothing is restored. */
  noCache: boolean
  /** `cache.maxSize`: pruned to this after a run that stored something. */
  maxSizeBytes?: number
  /** The clock files are judged too fresh to index by (tests move it forward). */
  now?: number
  /** orca's own folders (runs, cache): never part of an image build context. */
  stateDirs?: string[]
  /** Asked on a local miss, and given every entry stored (unless read-only). */
  remote?: RemoteCache
  /** Make every key anew, never taking one made earlier in the run (tests compare the two). */
  remakeKeys?: boolean
}

/** A job's key, the manifest it is the digest of, and the input files hashed for it. */
interface MadeKey {
  key: string
  manifest: KeyManifest
  inputs: HashedInput[]
}

/** A job's key for this run and what the cache holds under it. */
export interface KeyedJob {
  job: Job
  key: string
  manifest: KeyManifest
  /** The files hashed, which are exactly the files the container gets. */
  inputs: HashedInput[]
  use: CacheUse
  /** The entry under the key, not yet verified byte for byte (restore does that). */
  entry?: EntryMeta
  /** Why an entry under this key was thrown away. */
  corrupt?: string
  /** Why an entry under this key was not trusted (signing is on and its signature is missing or wrong). */
  untrusted?: string
  /** What the job's events should warn about (an entry ignored or removed). */
  warnings: JobWarning[]
  /** The cache was asked for the key (it may hold the job): a local miss may then ask the remote. */
  lookedUp?: true
  /** With `hit`: where the entry came from; a remote one was downloaded into the local cache first. */
  source?: 'local' | 'remote'
}

export interface Restored {
  /** What the entry's artifacts amount to, and the digest of their manifest. */
  artifacts: {count: number; bytes: number; sha256: string}
  /** Reads the entry's artifact manifest and checks every file's content; only a dependent that runs needs it. */
  loadArtifacts(): ArtifactEntry[]
  output: OutputChunk[]
  /** What the job was warned about when it ran. */
  warnings: JobWarning[]
  /** The job's outputs, when it declares any. */
  outputs?: Record<string, string>
  /** The job's JUnit reports (their files linked into the run directory), when it has reports. */
  reports?: JunitReports
  /** The run that produced the entry. */
  runId: string
}

export interface SaveInput {
  runId: string
  /** The job's collected artifacts (their content is in the store's blobs). */
  artifacts: readonly ArtifactEntry[]
  output: OutputChunk[]
  warnings?: JobWarning[]
  outputs?: Record<string, string>
  reports?: StoredReports
  /** The image ID the container was actually created from. */
  imageId?: string
}

/** Recorded output above this is cut (with a note) rather than grow the cache without bound. */
const MAX_OUTPUT_CHARS = 32 * 1024 * 1024

/**
 * The cache as one run uses it: keys jobs (in dependency order), restores hits, stores successes.
 * Dependents key on their needs' keys; a need that does not use the cache (`cache: false`) contributes
 * the hashes of the artifacts it actually produced instead, so its dependents never reuse stale work.
 */
export class RunCache {
  readonly store: CacheStore
  readonly projectDir: string
  /** The run's image build contexts, hashed once for the keys and the builds. */
  readonly buildContexts: BuildContexts
  readonly remote?: RemoteCache
  /** Keyed volumes' entries, beside the job entries. */
  readonly volumes: VolumeStore
  private readonly hasher: InputHasher
  private readonly keys = new Map<string, string>()
  private stored = 0
  /** The repository's state, asked of git once per run, when a job with `git:` is keyed. */
  private repository: GitState | undefined
  /** Remote lookups started before the jobs' turn (lookAhead), by key, until the job takes its own. */
  private readonly ahead = new Map<string, Promise<RemoteFetch>>()
  /** The run's one look ahead, once started (the run starts it before its directory is made, the scheduler asks again). */
  private lookingAhead: Promise<void> | undefined
  /** Keys a job already asked the remote for in its turn: never looked up ahead after that. */
  private readonly askedInTurn = new Set<string>()
  /**
   * Each job's key as last made, with what it was made from (its image IDs and its needs' keys):
   * lookAhead's is taken again in the job's turn instead of made twice (a key over 10,000 inputs costs
   * ≈ 20 ms). Nothing else a key depends on changes within a run: the inputs are hashed once per run,
   * the repository's state and the build contexts are read once. A host job's key commands run anew.
   */
  private readonly made = new WeakMap<Job, {from: string; made: MadeKey}>()

  constructor(private readonly options: RunCacheOptions) {
    this.store = options.store
    this.volumes = new VolumeStore(options.store)
    if (options.remote) this.remote = options.remote
    this.projectDir = options.projectDir
    this.buildContexts = new BuildContexts(options.projectDir, options.stateDirs ?? [])
    this.hasher = new InputHasher(options.projectDir, statIndexFile(options.store, options.projectDir), options.now, options.projectFiles.git)
  }

  /** `--no-cache`: nothing is restored, a keyed volume's content included. */
  get restores(): boolean {
    return !this.options.noCache
  }

  /** The keys of a job's keyed volumes: each from its key files' paths and content (hashed as inputs are). */
  keyVolumes(job: Job): KeyedVolume[] {
    return Object.entries(job.volumeKeys ?? {}).map(([name, source]) => {
      const files = this.hasher.hash(selectInputs(this.options.projectFiles, source.files))
      return volumeKey({name, path: job.volumes[name]!}, files)
    })
  }

  /** The key dependents use for a settled job; undefined until known. */
  keyFor(job: string): string | undefined {
    return this.keys.get(job)
  }

  /**
   * Computes the job's key (with its services' image IDs, by service name, and a host job's key
   * commands' output) and looks it up. Returns undefined when a need's key is not known yet (only in a
   * dry run: a `cache: false` need must run first).
   */
  keyJob(job: Job, imageId: string | null, serviceImageIds: Record<string, string | null> = {}, hostKey?: HostKeyOutput[]): KeyedJob | undefined {
    const made = this.makeKey(job, imageId, serviceImageIds, hostKey, (need) => this.keys.get(need))
    if (made === undefined) return undefined
    const {key, manifest, inputs} = made
    const cached = usesCache(job)
    if (cached) this.keys.set(job.name, key)
    const keyed: KeyedJob = {job, key, manifest, inputs, use: 'miss', warnings: []}
    if (!cached || this.options.noCache) keyed.use = 'disabled'
    // An image that is not there yet (it would be pulled) may be another image: never a hit. A built one is known by its context; a host job has none.
    else if (job.steps.length === 0 || runsOnHost(job) || ((imageId !== null || job.build !== undefined) && Object.values(manifest.services ?? {}).every((s) => s.imageId !== null))) {
      const found = this.store.read(key)
      keyed.lookedUp = true
      if (found.status === 'found') {
        keyed.use = 'hit'
        keyed.source = 'local'
        keyed.entry = found.meta
      } else if (found.status === 'corrupt') {
        damaged(keyed, found.reason)
      } else if (found.status === 'untrusted') {
        keyed.untrusted = found.reason
        keyed.warnings.push({kind: 'cache-untrusted', message: `cache entry ${shortKey(key)} was not used: ${found.reason}; it was removed and the job runs`})
      }
    }
    return keyed
  }

  /** A job's key manifest and key; undefined while a need's key (from `keyOfNeed`) is unknown. */
  private makeKey(job: Job, imageId: string | null, serviceImageIds: Record<string, string | null>, hostKey: HostKeyOutput[] | undefined, keyOfNeed: (need: string) => string | undefined): MadeKey | undefined {
    const needs = nameTable<string>()
    for (const need of job.needs) {
      const key = keyOfNeed(need)
      if (key === undefined) return undefined
      needs[need] = key
    }
    if (hostKey !== undefined || this.options.remakeKeys === true) return this.newKey(job, imageId, serviceImageIds, hostKey, needs)
    const from = canonicalJson({imageId, serviceImageIds, needs})
    const earlier = this.made.get(job)
    if (earlier?.from === from) return earlier.made
    const made = this.newKey(job, imageId, serviceImageIds, undefined, needs)
    this.made.set(job, {from, made})
    return made
  }

  private newKey(job: Job, imageId: string | null, serviceImageIds: Record<string, string | null>, hostKey: HostKeyOutput[] | undefined, needs: Record<string, string>): MadeKey {
    const inputs = job.steps.length === 0 ? [] : this.hasher.hash(jobInputFiles(this.options.projectFiles, job))
    const git = job.git && job.steps.length > 0 ? {depth: job.git.depth ?? null, ...(this.repository ??= gitState(this.projectDir))} : undefined
    const buildFiles = job.steps.length > 0 && job.build && !runsOnHost(job) ? this.buildContexts.of(job).files : undefined
    const manifest = keyManifest({job, imageId, serviceImageIds, envOverrides: this.options.envOverrides, inputs, needs, buildFiles, ...(hostKey ? {hostKey} : {}), ...(git ? {git} : {})})
    return {key: keyOf(manifest), manifest, inputs}
  }

  /**
   * Starts the remote lookup of every job (in plan order) whose key is known before it runs and
   * whose entry the local cache lacks, all at once within cache.remote.concurrency, rather than
   * each when its needs are done: a pipeline restored from the remote then costs one round of
   * requests, not one per level of the DAG. A key is known ahead when the job's images are on the
   * engine (or built: keyed by their context) and its needs' keys are known; host jobs (their key
   * commands run only in their turn), images pulled in any case, and what depends on them are left
   * to their turn. Each job still takes its own result in
   * `lookupRemote`, so a run looks and records the same. Once per run: a later call returns the
   * first one's promise. Never throws.
   */
  lookAhead(jobs: readonly Job[], imageIdOf: ImageIdResolver): Promise<void> {
    this.lookingAhead ??= this.lookUpAhead(jobs, imageIdOf)
    return this.lookingAhead
  }

  private lookUpAhead(jobs: readonly Job[], imageIdOf: ImageIdResolver): Promise<void> {
    const remote = this.remote
    if (remote === undefined || this.options.noCache) return Promise.resolve()
    const keys = new Map<string, string>()
    const idOf = (ref: string): Promise<string | null> => imageIdOf(ref).then((id) => id ?? null, () => null)
    return (async () => {
      for (const job of jobs) {
        // An image pulled whatever the engine has (pull: always, a platform) is known only once pulled.
        if (!usesCache(job) || runsOnHost(job) || job.pull === 'always' || job.platform !== undefined) continue
        const withSteps = job.steps.length > 0
        // A built image is keyed by its build context, not an ID (as in RunImages.idForKey).
        const imageId = withSteps && !job.build ? await idOf(job.image) : null
        const services = nameTable<string | null>()
        for (const service of withSteps ? Object.values(job.services) : []) services[service.name] = await idOf(service.image)
        // An image not on the engine yet is never a hit (see keyJob): nothing to look up.
        if (withSteps && ((imageId === null && !job.build) || Object.values(services).some((id) => id === null))) continue
        const made = this.makeKey(job, imageId, services, undefined, (need) => keys.get(need))
        if (made === undefined) continue
        keys.set(job.name, made.key)
        if (!this.ahead.has(made.key) && !this.askedInTurn.has(made.key) && !existsSync(this.store.entryFile(made.key))) this.ahead.set(made.key, remote.fetchEntry(made.key))
      }
    })().catch(() => undefined)
  }

  /**
   * On a local miss, asks the remote cache (or takes what lookAhead asked it): a hit there is
   * downloaded, checked and stored locally, and the job becomes a hit. Undefined when the remote was
   * not asked. Never throws.
   */
  async lookupRemote(keyed: KeyedJob): Promise<RemoteLookup | undefined> {
    if (this.remote === undefined || keyed.use !== 'miss' || keyed.lookedUp !== true) return undefined
    const ahead = this.ahead.get(keyed.key)
    this.ahead.delete(keyed.key)
    this.askedInTurn.add(keyed.key)
    const found = await this.remote.lookup(keyed.key, ahead)
    if (found.result === 'hit') {
      keyed.use = 'hit'
      keyed.source = 'remote'
      keyed.entry = found.meta
    }
    return found
  }

  /** Uploads the entry stored under the job's key to the remote cache, in the background; false when there is nothing to do. */
  share(keyed: KeyedJob, told: (upload: RemoteUpload) => void): boolean {
    if (this.remote === undefined || this.remote.readOnly || !keyed.job.cache) return false
    this.remote.upload(keyed.key, told)
    return true
  }

  /** Waits for the uploads started by `share` (and lookups made ahead for jobs that never took them). Never throws. */
  async settleUploads(): Promise<void> {
    await Promise.all(this.ahead.values())
    this.ahead.clear()
    await this.remote?.drain()
  }

  /**
   * Restores a hit: its output is read and checked, its artifact manifest linked to `manifestPath`
   * (when the job has artifacts). Nothing per artifact file happens here: the files are read, and
   * checked, only when a dependent runs or someone asks for them. A damaged entry is removed and the
   * job becomes a miss (undefined).
   */
  restore(keyed: KeyedJob, manifestPath: string | undefined, reportsDir?: string): Restored | undefined {
    const entry = keyed.entry
    if (!entry) return undefined
    try {
      const output = this.store.readOutput(entry)
      if (manifestPath !== undefined) this.store.linkArtifactManifest(entry, manifestPath)
      const reports = reportsDir === undefined ? undefined : this.store.restoreReports(entry, reportsDir)
      // An entry just downloaded was written now: already the most recently used.
      if (keyed.source !== 'remote') this.store.touch(keyed.key)
      return {
        ...(entry.outputs ? {outputs: entry.outputs} : {}),
        ...(reports ? {reports} : {}),
        artifacts: {count: entry.artifacts.count, bytes: entry.artifacts.bytes, sha256: entry.artifacts.manifest.sha256},
        loadArtifacts: () => this.store.checkedArtifacts(entry),
        output,
        warnings: entry.warnings,
        runId: entry.runId,
      }
    } catch (error) {
      if (!(error instanceof CorruptEntryError)) throw error
      if (manifestPath !== undefined) rmSync(manifestPath, {force: true})
      keyed.use = 'miss'
      delete keyed.entry
      damaged(keyed, error.message)
      return undefined
    }
  }

  /** Removes the entry under a key whose content was found changed when read; the next run rebuilds it. */
  discard(key: string): void {
    this.store.discard(key)
  }

  /** What dependents of a job key on once it succeeded. */
  completed(keyed: KeyedJob, artifacts: readonly ArtifactEntry[], outputs?: Record<string, string>): void {
    if (usesCache(keyed.job)) return
    const produced = artifacts.map((a) => [a.path, a.type === 'file' ? a.sha256 : `symlink:${a.target}`]).sort()
    // Outputs flow into dependents' env as artifacts flow into their workspace: both are in what they key on.
    this.keys.set(keyed.job.name, sha256(canonicalJson({ran: keyed.key, produced, ...(outputs ? {outputs} : {})})))
  }

  /**
   * Stores a succeeded job's artifacts and output under its key. Returns why it did not, when it did
   * not: the job opted out, an input changed after it was hashed, or the image changed under the tag.
   */
  save(keyed: KeyedJob, input: SaveInput): string | undefined {
    if (!usesCache(keyed.job)) return `the job is never cached (${uncachedReason(keyed.job)})`
    if (input.imageId !== undefined && keyed.manifest.imageId !== null && input.imageId !== keyed.manifest.imageId) {
      return `image ${keyed.job.image} changed while the run started (${input.imageId})`
    }
    const changed = this.hasher.changedSince(keyed.inputs)
    if (changed.length > 0) return `input ${changed[0]} changed while the job ran`
    try {
      const result = this.store.publish({
        key: keyed.key,
        job: keyed.job.name,
        projectDir: this.options.projectDir,
        runId: input.runId,
        manifest: keyed.manifest,
        artifacts: input.artifacts,
        output: capOutput(input.output),
        warnings: input.warnings,
        ...(input.outputs ? {outputs: input.outputs} : {}),
        ...(input.reports ? {reports: input.reports} : {}),
      })
      writeLast(this.store, this.options.projectDir, keyed.job.name, {
        key: keyed.key,
        runId: input.runId,
        createdAt: new Date().toISOString(),
        manifest: keyed.manifest,
      })
      if (result === 'stored') this.stored++
      return undefined
    } catch (error) {
      return `could not write the cache: ${(error as Error).message}`
    }
  }

  /** Saves the stat index and, when something was stored, prunes to `cache.maxSize`. Never throws. */
  finish(): void {
    this.remote?.close()
    try {
      if (this.hasher.save(this.options.projectFiles.files)) removeLegacyIndexes(this.store.dir)
      if (this.stored > 0 && this.options.maxSizeBytes !== undefined) pruneCache(this.store, this.options.maxSizeBytes)
    } catch {
      // The cache is an optimisation: a failed index write or prune never fails a run.
    }
  }
}

/** Records why an entry was removed, and warns about it in the job's events. */
function damaged(keyed: KeyedJob, reason: string): void {
  keyed.corrupt = reason
  keyed.warnings.push({kind: 'cache-damaged', message: `cache entry ${shortKey(keyed.key)} was damaged (${reason}): it was removed and the job runs`})
}

function capOutput(output: OutputChunk[]): OutputChunk[] {
  let total = 0
  const kept: OutputChunk[] = []
  for (const chunk of output) {
    total += chunk.text.length
    if (total > MAX_OUTPUT_CHARS) {
      kept.push({step: chunk.step, stream: 'stderr', text: '[orca: output cut here when it was cached]\n'})
      break
    }
    kept.push(chunk)
  }
  return kept
}
