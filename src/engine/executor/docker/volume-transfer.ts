import * as path from 'node:path/posix'
import type {Readable} from 'node:stream'
import type Docker from 'dockerode'
import tar from 'tar-stream'

import {rewriteVolumeTar, type VolumeTarSummary} from '../archive/volume-tar.js'
import type {VolumeCacheHooks} from '../types.js'
import {withTimeout} from './call.js'

/** A volume's tar may take this long to move in or out (package caches run to gigabytes). */
const VOLUME_TRANSFER_MS = 10 * 60_000

/**
 * Whether the volume mounted at `at` in the container holds nothing: its archive has the folder
 * itself and no entry after it. Read through the engine, so any image (no shell, any user) can be asked;
 * the archive is left after its second entry.
 */
export async function volumeIsEmpty(container: Docker.Container, at: string): Promise<boolean> {
  const stream = (await withTimeout(container.getArchive({path: at}), `get archive ${at}`)) as Readable
  const extract = tar.extract()
  stream.pipe(extract as unknown as NodeJS.WritableStream)
  let entries = 0
  try {
    for await (const item of extract) {
      item.resume()
      if (++entries > 1) break
    }
  } finally {
    stream.destroy()
    extract.destroy()
  }
  return entries <= 1
}

/**
 * The volume mounted at `at` as a tar of its content, entries relative to its root and checked as
 * every restore checks them (see rewriteVolumeTar); `checked` settles when it is all read. Devices
 * and fifos in it are left out.
 */
export async function readVolume(container: Docker.Container, at: string): Promise<{tar: Readable; checked: Promise<VolumeTarSummary>}> {
  const stream = (await withTimeout(container.getArchive({path: at}), `get archive ${at}`)) as Readable
  const {output, checked} = rewriteVolumeTar(stream, {strip: path.basename(at), skipOtherTypes: true})
  return {tar: output, checked}
}

/** Extracts a checked volume tar into the volume mounted at `at`, through the engine's archive call. */
export async function writeVolume(container: Docker.Container, at: string, archive: Readable): Promise<void> {
  await withTimeout(container.putArchive(archive, {path: at}), `restore volume at ${at}`, VOLUME_TRANSFER_MS)
}

/**
 * Before the first step: each keyed volume that is empty gets its entry's content, one volume at a
 * time, each under the run's lock for it. A failure is the run's warning; the job goes on with the
 * volume as it is.
 */
export async function restoreVolumes(container: Docker.Container, hooks: VolumeCacheHooks): Promise<void> {
  for (const volume of hooks.volumes) {
    const release = await hooks.lock(volume.name)
    try {
      if (!(await volumeIsEmpty(container, volume.path))) {
        hooks.notEmpty(volume.name)
        continue
      }
      const source = await hooks.restoreSource(volume.name)
      if (source === undefined) continue
      try {
        await writeVolume(container, volume.path, source.open() as Readable)
        source.restored()
      } catch (error) {
        source.failed(error)
      }
    } catch (error) {
      hooks.failed(volume.name, 'restore', error)
    } finally {
      release()
    }
  }
}

/** After a success: each keyed volume whose key has no entry yet is read from the container and stored. */
export async function saveVolumes(container: Docker.Container, hooks: VolumeCacheHooks): Promise<void> {
  for (const volume of hooks.volumes) {
    try {
      if (!(await hooks.wantsSave(volume.name))) continue
      const {tar, checked} = await readVolume(container, volume.path)
      await hooks.save(volume.name, tar, checked)
    } catch (error) {
      hooks.failed(volume.name, 'save', error)
    }
  }
}
