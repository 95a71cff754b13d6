import type {BlobStore} from '../artifacts/blobs.js'
import {DamagedBlobError, UnsafeStoreError} from '../artifacts/blobs.js'
import {manifestDigest, serialiseArtifactManifest, summarise, type ArtifactEntry} from '../artifacts/manifest.js'
import {isExecutable} from '../artifacts/materialise.js'
import {replaceFile} from '../atomic-file.js'
import {CorruptEntryError} from '../cache/store.js'
import type {ArtifactsSummary} from '../records/events.js'

/** Where a job's artifact manifest goes: its absolute path and its name relative to the run directory. */
export interface ManifestLocation {
  path: string
  name: string
}

/** The artifacts of needs for a job about to run, or the need whose content no longer matches. */
export type NeedArtifacts =
  | {artifacts: ArtifactEntry[][]}
  | {damaged: string; reason: string; key?: string; again: boolean}

/**
 * The artifacts of a run's settled jobs, as their dependents get them. A job that ran leaves its
 * entries and a manifest file; a cache hit leaves a way to read its entry's manifest, read only if a
 * dependent runs. Before a dependent runs, every file it will get is checked against its digest: one
 * changed since it was stored (through a hard link into the store) is never handed on.
 */
export class RunArtifacts {
  private readonly produced = new Map<string, {load(): ArtifactEntry[]; key?: string}>()
  private readonly rerun = new Set<string>()

  constructor(
    private readonly blobs: BlobStore,
    private readonly location: (job: string) => ManifestLocation,
  ) {}

  /** Records what a job that ran collected and writes its manifest file; returns what its event says. */
  ran(job: string, entries: ArtifactEntry[], key?: string): ArtifactsSummary {
    const {path, name} = this.location(job)
    const text = serialiseArtifactManifest(entries)
    replaceFile(path, text, {createDir: true})
    this.produced.set(job, {load: () => entries, key})
    return {...summarise(entries), manifest: name, sha256: manifestDigest(text)}
  }

  /** Records a cache hit, whose entries are read when a dependent needs them. */
  restored(job: string, load: () => ArtifactEntry[], key: string): void {
    this.produced.set(job, {load, key})
  }

  /** Forgets a job that will run again. */
  forget(job: string): void {
    this.produced.delete(job)
  }

  /**
   * The artifacts of each need, in order, every file checked against its digest. A need whose
   * content does not match is named, with whether it was already run again once in this run.
   */
  forNeeds(needs: readonly string[]): NeedArtifacts {
    const artifacts: ArtifactEntry[][] = []
    for (const need of needs) {
      const source = this.produced.get(need)
      if (source === undefined) {
        artifacts.push([])
        continue
      }
      try {
        const entries = source.load()
        for (const entry of entries) if (entry.type === 'file') this.blobs.verify(entry, isExecutable(entry.mode))
        artifacts.push(entries)
      } catch (error) {
        if (!(error instanceof DamagedBlobError || error instanceof CorruptEntryError || error instanceof UnsafeStoreError)) throw error
        const again = this.rerun.has(need)
        this.rerun.add(need)
        return {damaged: need, reason: error.message, key: source.key, again}
      }
    }
    return {artifacts}
  }
}
