import {randomBytes} from 'node:crypto'
import {lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import * as path from 'node:path'

import type {BlobStore} from '../engine/artifacts/blobs.js'
import type {ArtifactEntry} from '../engine/artifacts/manifest.js'
import {isExecutable, materialise} from '../engine/artifacts/materialise.js'
import {pidExists} from '../engine/process-identity.js'

/** Idle folders kept for the next runs: enough for a client's runs one after another, and one beside it. */
const IDLE_KEPT = 2

/** What a folder holds at a path: a file's digest and mode, or a link's target. */
type Held = Map<string, string>

const heldAs = (entry: ArtifactEntry): string => (entry.type === 'file' ? `${entry.sha256}:${entry.mode & 0o777}` : `->${entry.target}`)

/**
 * The folders runs of working trees run in, one per live run. Creating and removing thousands of files
 * costs seconds on a loaded disk, so a run's folder is kept when the run ends and the next tree is laid
 * over it: files it no longer has are removed, changed and new ones written, the rest left as they
 * are (the server alone writes there; jobs get copies). A folder whose update fails is dropped and
 * the tree laid out afresh.
 */
export class Workspaces {
  private readonly idle: Array<{dir: string; held: Held}> = []
  private readonly live = new Map<string, Held>()
  private closed = false

  constructor(readonly root: string) {
    removeDeadWorkspaces(root)
  }

  /** A folder holding exactly `entries` (checked as a manifest is), from the store's blobs. */
  take(entries: readonly ArtifactEntry[], blobs: BlobStore): string {
    const held: Held = new Map(entries.map((entry) => [entry.path, heldAs(entry)]))
    const reused = this.idle.pop()
    if (reused !== undefined) {
      try {
        update(reused.dir, reused.held, entries, blobs)
        this.live.set(reused.dir, held)
        return reused.dir
      } catch {
        void rm(reused.dir, {recursive: true, force: true})
      }
    }
    mkdirSync(this.root, {recursive: true, mode: 0o700})
    const dir = path.join(this.root, `${process.pid}-${randomBytes(6).toString('hex')}`)
    materialise(entries, blobs, dir)
    this.live.set(dir, held)
    return dir
  }

  /** Removes the idle folders (the server is stopping; live ones are given back, and removed, as their runs end). */
  async close(): Promise<void> {
    this.closed = true
    await Promise.all(this.idle.splice(0).map(({dir}) => rm(dir, {recursive: true, force: true})))
  }

  /** Gives a run's folder back once the run is recorded: kept for the next tree, or removed in the background. */
  give(dir: string): void {
    const held = this.live.get(dir)
    this.live.delete(dir)
    if (held !== undefined && !this.closed && this.idle.length < IDLE_KEPT) this.idle.push({dir, held})
    else if (path.dirname(dir) === this.root) void rm(dir, {recursive: true, force: true})
  }
}

/** Turns a folder holding `before` into one holding `entries`: stale entries first, so no new one lands under an old link. */
function update(dir: string, before: Held, entries: readonly ArtifactEntry[], blobs: BlobStore): void {
  const after = new Map(entries.map((entry) => [entry.path, heldAs(entry)]))
  for (const [rel, was] of before) {
    if (after.get(rel) !== was) rmSync(path.join(dir, ...rel.split('/')), {recursive: true, force: true})
  }
  for (const entry of entries) {
    if (before.get(entry.path) === heldAs(entry)) continue
    const target = path.join(dir, ...entry.path.split('/'))
    makeParents(dir, entry.path)
    // A folder left where a file now goes (its files were removed above).
    rmSync(target, {recursive: true, force: true})
    if (entry.type === 'symlink') symlinkSync(entry.target, target)
    else blobs.copyTo(entry, isExecutable(entry.mode), target, entry.mode)
  }
}

/** The folders above `rel`; a file or link in a folder's place (of the previous tree) is removed first. */
function makeParents(root: string, rel: string): void {
  const segments = rel.split('/').slice(0, -1)
  let current = root
  for (const segment of segments) {
    current = path.join(current, segment)
    const stat = lstatSync(current, {throwIfNoEntry: false})
    if (stat?.isDirectory()) continue
    if (stat !== undefined) rmSync(current, {force: true})
    mkdirSync(current, 0o755)
  }
}

/** A workspace folder's name (`<pid>-<hex>`), or one being laid out (`.<pid>-<hex>.partial-<suffix>`): the pid of the server it is for. */
const WORKSPACE_NAME = /^\.?([1-9][0-9]*)-[0-9a-f]+(?:\.partial-.+)?$/

/**
 * Folders of servers that are gone (a crash left them): each is named after its server's pid. A
 * folder still being laid out by a live server is its, and so is anything this sweep cannot
 * attribute: it is left alone.
 */
function removeDeadWorkspaces(dir: string): void {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    const match = WORKSPACE_NAME.exec(name)
    if (match === null) continue
    const pid = Number(match[1])
    if (pid !== process.pid && !pidExists(pid)) rmSync(path.join(dir, name), {recursive: true, force: true})
  }
}
