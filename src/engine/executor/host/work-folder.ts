import {chmodSync, copyFileSync, constants, lstatSync, mkdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, symlinkSync, unlinkSync} from 'node:fs'
import * as path from 'node:path'

import type {BlobStore} from '../../artifacts/blobs.js'
import {isExecutable} from '../../artifacts/materialise.js'
import type {ArtifactEntry} from '../../artifacts/manifest.js'
import {replaceFile} from '../../atomic-file.js'
import {currentProcess, startTimeOf, type ProcessIdentity} from '../../process-identity.js'

/** The file that proves a folder is a host job's work folder made by orca (what `orca clean --leaks` looks for). */
export const WORK_MARKER = '.orca-host-work.json'

/** What the marker records: whose folder it is, and the process groups its steps started. */
export interface WorkMarker {
  orca: 'host-work'
  runId: string
  job: string
  owner: ProcessIdentity
  /** Each step's process group: its id (the leader's pid) and the leader's start time, to tell it from a reused pid. */
  groups: Array<{pgid: number; startTime?: string}>
  /** Kept by the cleanup policy: never a leak. */
  kept?: boolean
}

/**
 * A host job's folder: `workspace/` (the job's working directory, what a container's workdir holds),
 * its outputs file beside it, and the marker. Made fresh for each job; removed or kept at its end.
 */
export class WorkFolder {
  readonly workspace: string
  readonly outputFile: string
  private readonly marker: WorkMarker

  private constructor(
    readonly dir: string,
    runId: string,
    job: string,
  ) {
    this.workspace = path.join(dir, 'workspace')
    this.outputFile = path.join(dir, 'output')
    this.marker = {orca: 'host-work', runId, job, owner: currentProcess(), groups: []}
  }

  /** Creates the folder (replacing a leftover of the same run and job) with its marker first, so even a half-made folder is provably orca's. */
  static create(dir: string, runId: string, job: string): WorkFolder {
    rmSync(dir, {recursive: true, force: true})
    mkdirSync(dir, {recursive: true, mode: 0o700})
    const folder = new WorkFolder(dir, runId, job)
    folder.save()
    mkdirSync(folder.workspace, {mode: 0o755})
    return folder
  }

  /** Records a step's process group before it can leave anything behind. */
  addGroup(pgid: number): void {
    this.marker.groups.push({pgid, ...optional('startTime', startTimeOf(pgid))})
    this.save()
  }

  /** Marks the folder as kept by policy: `orca clean --leaks` leaves it. */
  keep(): void {
    this.marker.kept = true
    this.save()
  }

  /** Removes the folder, and the run's folder of host jobs once it is empty. */
  remove(): void {
    rmSync(this.dir, {recursive: true, force: true})
    try {
      rmdirSync(path.dirname(this.dir))
    } catch {
      // Another host job of the run still has its folder there.
    }
  }

  private save(): void {
    replaceFile(path.join(this.dir, WORK_MARKER), `${JSON.stringify(this.marker)}\n`)
  }
}

/** The marker of a folder, when it has a readable one. */
export function readWorkMarker(dir: string): WorkMarker | undefined {
  try {
    const marker = JSON.parse(readFileSync(path.join(dir, WORK_MARKER), 'utf8')) as WorkMarker
    return marker.orca === 'host-work' && typeof marker.runId === 'string' && Array.isArray(marker.groups) ? marker : undefined
  } catch {
    return undefined
  }
}

/**
 * Fills `workspace` as a container's workdir is filled: the project files the job's key covers (modes
 * kept, links copied as links), then each need's artifacts in order (a later one wins a clash), copied
 * out of the blob store and checked. Nothing is ever written through a link: a folder on the way that
 * is not a real folder, or a file already at the path, is replaced.
 */
export function layOutWorkspace(workspace: string, projectDir: string, inputFiles: readonly string[], needArtifacts: ReadonlyArray<readonly ArtifactEntry[]>, blobs: BlobStore): void {
  for (const rel of [...inputFiles].sort()) {
    const target = placeFor(workspace, rel)
    const source = path.join(projectDir, ...rel.split('/'))
    const stat = lstatSync(source)
    if (stat.isSymbolicLink()) symlinkSync(readlinkSync(source), target)
    else if (stat.isDirectory()) mkdirSync(target, {recursive: true})
    else if (stat.isFile()) {
      copyFileSync(source, target, constants.COPYFILE_FICLONE)
      chmodSync(target, stat.mode & 0o7777)
    }
    // Sockets, fifos and devices are not copied (nor are they into a container).
  }
  for (const artifacts of needArtifacts) {
    for (const artifact of artifacts) {
      const target = placeFor(workspace, artifact.path)
      if (artifact.type === 'symlink') symlinkSync(artifact.target, target)
      else blobs.copyTo(artifact, isExecutable(artifact.mode), target, artifact.mode)
    }
  }
}

/** The absolute path of `rel` under root, its folders made real folders and nothing left at it. */
function placeFor(root: string, rel: string): string {
  const parts = rel.split('/')
  if (rel.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..')) throw new Error(`path "${rel}" leaves the job's folder`)
  let dir = root
  for (const part of parts.slice(0, -1)) {
    dir = path.join(dir, part)
    const stat = lstatOrUndefined(dir)
    if (stat?.isDirectory()) continue
    if (stat) unlinkSync(dir)
    mkdirSync(dir, 0o755)
  }
  const target = path.join(dir, parts.at(-1)!)
  rmSync(target, {recursive: true, force: true})
  return target
}

function lstatOrUndefined(file: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(file)
  } catch {
    return undefined
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({[key]: value} as Record<K, V>)
}
