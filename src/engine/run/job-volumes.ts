import {createReadStream} from 'node:fs'
import type {Readable} from 'node:stream'

import {shortKey} from '../cache/format.js'
import type {RunCache} from '../cache/run-cache.js'
import type {KeyedVolume} from '../cache/volume-key.js'
import type {VolumeMeta} from '../cache/volume-store.js'
import type {VolumeCacheHooks} from '../executor/types.js'
import type {Job} from '../pipeline/types.js'
import type {RunEmitter} from './emitter.js'

/** Fills of a volume in this run, by Docker volume: two jobs sharing one check and fill it one after the other. */
export class VolumeLocks {
  private readonly held = new Map<string, Promise<void>>()

  async lock(name: string): Promise<() => void> {
    const before = this.held.get(name) ?? Promise.resolve()
    let release!: () => void
    const mine = new Promise<void>((resolve) => (release = resolve))
    const chained = before.then(() => mine)
    this.held.set(name, chained)
    await before
    return () => {
      release()
      if (this.held.get(name) === chained) this.held.delete(name)
    }
  }
}

/**
 * The keyed volumes of a job as its executor sees them (VolumeCacheHooks): entries looked up locally,
 * then on the remote, checked (signature, digest, archive paths) before anything reaches the volume;
 * saved after a success when no entry exists under the key, locally or (one HEAD) on the remote, then
 * uploaded in the background. Every failure is a `volume-cache` warning: a run never fails for its
 * volumes. Undefined for a job with no keyed volumes, or a run without a cache.
 */
export function jobVolumeHooks(job: Job, cache: RunCache | undefined, locks: VolumeLocks, emitter: RunEmitter, run: {runId: string; projectDir: string}): VolumeCacheHooks | undefined {
  if (cache === undefined || job.volumeKeys === undefined) return undefined
  const keyed = new Map(cache.keyVolumes(job).map((volume) => [volume.name, volume]))
  if (keyed.size === 0) return undefined
  const volumeOf = (name: string): KeyedVolume => keyed.get(name)!
  const warn = (name: string, message: string): void => emitter.emit({type: 'job.warning', job: job.name, kind: 'volume-cache', message: `volume ${name}: ${message}`})
  /** An unreachable remote is said once per job, not once per volume and phase. */
  let remoteDownTold = false
  const remoteDown = (name: string, reason: string): void => {
    if (remoteDownTold) return
    remoteDownTold = true
    warn(name, `the remote cache could not be reached (${reason}): the volume goes on without it`)
  }
  return {
    volumes: [...keyed.values()].map((volume) => ({name: volume.name, path: volume.path})),
    lock: async (name) => locks.lock(`${run.projectDir}\0${name}`),
    notEmpty: () => undefined,
    async restoreSource(name) {
      if (!cache.restores) return undefined
      const volume = volumeOf(name)
      const started = Date.now()
      const found = await findEntry(volume, cache, (message) => warn(name, message), (reason) => remoteDown(name, reason))
      if (found === undefined) return undefined
      const {meta, source, downloaded} = found
      const read = (): ReturnType<typeof createReadStream> => createReadStream('', {fd: cache.store.blobs.open(meta.tar)})
      try {
        // Every byte against the digest, and every name against the volume's rules, before any of it goes in.
        cache.store.blobs.verify(meta.tar)
        // Loaded here: tar-stream is needed only by a job with a keyed volume to restore, not by every run's start.
        const {checkVolumeTar} = await import('../executor/archive/volume-tar.js')
        await checkVolumeTar(read())
      } catch (error) {
        cache.volumes.discard(volume.key)
        warn(name, `cache entry ${shortKey(volume.key)} was not restored: ${(error as Error).message}`)
        return undefined
      }
      return {
        open: read,
        restored() {
          cache.volumes.touch(volume.key)
          emitter.emit({type: 'volume.restored', job: job.name, volume: name, key: volume.key, source, bytes: meta.tar.size, ...(source === 'remote' ? {downloaded} : {}), durationMs: Date.now() - started})
        },
        failed: (error) => warn(name, `its cached content could not be put in (${(error as Error).message}): the job goes on with the volume as it is`),
      }
    },
    async wantsSave(name) {
      const volume = volumeOf(name)
      if (cache.volumes.read(volume.key).status === 'found') return false
      if (cache.store.signer && !cache.store.signer.canSign) return false
      const remote = cache.remote
      if (remote === undefined || remote.readOnly) return true
      const there = await remote.hasVolume(volume.key)
      if (there === 'unavailable') remoteDown(name, 'a HEAD request failed')
      return there !== true
    },
    async save(name, tar, checked) {
      const volume = volumeOf(name)
      const started = Date.now()
      const [meta] = await Promise.all([
        cache.volumes.save({key: volume.key, volume: name, path: volume.path, projectDir: run.projectDir, runId: run.runId}, tar as Readable),
        checked,
      ])
      emitter.emit({type: 'volume.saved', job: job.name, volume: name, key: volume.key, to: 'local', bytes: meta.tar.size, durationMs: Date.now() - started})
      cache.remote?.uploadVolume(cache.volumes, volume.key, (upload) => {
        emitter.emit({
          type: 'volume.saved',
          job: job.name,
          volume: name,
          key: volume.key,
          to: 'remote',
          result: upload.result,
          bytes: upload.bytes,
          durationMs: upload.durationMs,
          ...(upload.reason ? {reason: upload.reason} : {}),
        })
        if (upload.result === 'failed') warn(name, `its content was not uploaded to the remote cache (${upload.reason})`)
      })
    },
    failed: (name, phase, error) => warn(name, `could not be ${phase === 'restore' ? 'restored' : 'saved'} (${(error as Error).message})`),
  }
}

/** The entry under the volume's key: the local one, else the remote's (downloaded and checked into the local cache). */
async function findEntry(
  volume: KeyedVolume,
  cache: RunCache,
  warn: (message: string) => void,
  remoteDown: (reason: string) => void,
): Promise<{meta: VolumeMeta; source: 'local' | 'remote'; downloaded: number} | undefined> {
  const local = cache.volumes.read(volume.key)
  if (local.status === 'found') return {meta: local.meta, source: 'local', downloaded: 0}
  if (local.status !== 'absent') warn(`cache entry ${shortKey(volume.key)} was not used: ${local.reason}`)
  if (cache.remote === undefined) return undefined
  const found = await cache.remote.lookupVolume(cache.volumes, volume.key)
  if (found.result === 'hit') return {meta: found.meta, source: 'remote', downloaded: found.bytes}
  if (found.result === 'unavailable') remoteDown(found.reason)
  else if (found.result !== 'miss') warn(`remote cache entry ${shortKey(volume.key)} was not used: ${found.reason}`)
  return undefined
}
