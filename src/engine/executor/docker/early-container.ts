import {lstatSync, type Stats} from 'node:fs'
import * as path from 'node:path'
import type Docker from 'dockerode'
import type {Prestarted} from '../types.js'
import type {ContainerOutput} from './container-output.js'
import type {WorkspaceOwner} from './workspace-copy.js'

/** A job's container, created and started, with the job's own inputs in its workdir. */
export interface StartedContainer {
  container: Docker.Container
  spec: Docker.ContainerCreateOptions
  imageId: string
  /** Who owns its workspace (the job's user as numbers; undefined: root): the needs' artifacts get it too. */
  owner: WorkspaceOwner
  /** Where steps write: the container's output, or (undefined) each step's exec. */
  output?: ContainerOutput
}

/** What an input file looked like just before it was copied into an early container. */
type InputStamp = Pick<Stats, 'size' | 'mtimeMs' | 'ctimeMs' | 'ino' | 'mode'> | undefined

/** The stamps of `files` under `projectDir`, taken before they are read into the archive. */
export function stampInputs(projectDir: string, files: readonly string[]): InputStamp[] {
  return files.map((file) => {
    try {
      const {size, mtimeMs, ctimeMs, ino, mode} = lstatSync(path.join(projectDir, file))
      return {size, mtimeMs, ctimeMs, ino, mode}
    } catch {
      return undefined
    }
  })
}

/** The first of `files` whose stamp is not what it was (the container may hold other content than the job's key covers). */
function changedInput(projectDir: string, files: readonly string[], before: readonly InputStamp[]): string | undefined {
  const now = stampInputs(projectDir, files)
  return files.find((_, i) => {
    const a = before[i]
    const b = now[i]
    if (a === undefined || b === undefined) return a !== b
    return a.size !== b.size || a.mtimeMs !== b.mtimeMs || a.ctimeMs !== b.ctimeMs || a.ino !== b.ino || a.mode !== b.mode
  })
}

/** How an early container is made: everything but the needs' artifacts; it removes what it made when it fails or `signal` aborts. */
export type MakeEarly = (signal: AbortSignal) => Promise<StartedContainer & {files: string[]; stamps: InputStamp[]}>

/**
 * A job's container made while its needs run (docs/performance.md, "Containers started ahead of
 * need"). Its job takes it when it runs; anything else discards it, awaiting a start in flight, so
 * no early container outlives the run. Labelled like any other, so `orca clean --leaks` finds one
 * whose orca was killed.
 */
export class EarlyContainer implements Prestarted {
  readonly ready: Promise<boolean>
  readonly #abort = new AbortController()
  readonly #made: Promise<Awaited<ReturnType<MakeEarly>> | undefined>
  #claimed = false

  constructor(
    private readonly projectDir: string,
    make: MakeEarly,
    private readonly remove: (container: Docker.Container) => Promise<void>,
  ) {
    // A container that could not be made is no error of the job's: it makes its own when it runs.
    this.#made = make(this.#abort.signal).catch(() => undefined)
    this.ready = this.#made.then((made) => made !== undefined)
  }

  /**
   * The container for its job, once made; undefined when it could not be made, or its inputs are not
   * `files` as they were copied (then it is removed, and the job copies its inputs as they are now).
   */
  async take(files: readonly string[]): Promise<StartedContainer | undefined> {
    if (this.#claimed) return undefined
    this.#claimed = true
    const made = await this.#made
    if (made === undefined) return undefined
    const sameFiles = made.files.length === files.length && made.files.every((file, i) => file === files[i])
    if (!sameFiles || changedInput(this.projectDir, made.files, made.stamps) !== undefined) {
      await this.drop(made)
      return undefined
    }
    return {container: made.container, spec: made.spec, imageId: made.imageId, owner: made.owner, ...(made.output ? {output: made.output} : {})}
  }

  async discard(): Promise<void> {
    if (this.#claimed) return
    this.#claimed = true
    this.#abort.abort()
    const made = await this.#made
    if (made) await this.drop(made)
  }

  private async drop(made: StartedContainer): Promise<void> {
    // Removed before its attach ends: a main process reading that attach's stdin would exit, and the engine's
    // own removal then (AutoRemove) leaves the name taken a moment longer than a job making its own container waits.
    // Left for `orca clean --leaks` (and the run's own cleanup after a cancel) when the engine refuses.
    await this.remove(made.container).catch(() => undefined)
    made.output?.dispose()
  }
}
