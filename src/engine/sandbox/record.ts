import {randomBytes} from 'node:crypto'
import {readdirSync, readFileSync, rmSync} from 'node:fs'
import * as path from 'node:path'

import {replaceFile} from '../atomic-file.js'
import type {SandboxLimits} from './policy.js'

/**
 * `creating`: recorded, its container being made (recorded first, so a crash never leaves a container
 * nobody knows of); `running`; `gone`: its container disappeared (removed by hand, the engine lost it);
 * `expired`: its time-to-live passed and it was reaped.
 */
export type SandboxState = 'creating' | 'running' | 'gone' | 'expired'

/** A sandbox as recorded on disk, one JSON file each, rewritten atomically. */
export interface SandboxRecord {
  id: string
  image: string
  imageId?: string
  containerId?: string
  state: SandboxState
  createdAt: string
  /** When it is reaped (ISO time); `touch` moves it. */
  expiresAt: string
  /** The time-to-live it was given: what a `touch` without one extends it by. */
  ttlMs: number
  limits: SandboxLimits
  network: 'bridge' | 'none'
  workdir: string
  /** Names of the environment variables it was given (their values are not recorded). */
  envNames: string[]
  /** Whose quota it counts against (the server's key for its maker); a restarted server charges it there again. */
  owner?: string
  /** When it became `gone` or `expired`, and why. */
  endedAt?: string
  reason?: string
}

const ID = /^sb-[0-9a-f]{16}$/

/** A fresh sandbox id: `sb-` and 16 hex characters. */
export function newSandboxId(): string {
  return `sb-${randomBytes(8).toString('hex')}`
}

/** Whether `id` has the shape of a sandbox id (checked before any path is built from it). */
export function isSandboxId(id: string): boolean {
  return ID.test(id)
}

/** Whether the sandbox is (or is becoming) usable. */
export function isLive(record: SandboxRecord): boolean {
  return record.state === 'creating' || record.state === 'running'
}

/** The folder of a project's sandbox records: beside its runs folder (`.orca/sandboxes` by default). */
export function sandboxesDirOf(runsDir: string): string {
  return path.join(path.dirname(runsDir), 'sandboxes')
}

/** Sandbox records in one folder; a file that does not parse is no record (its container is then an orphan, and reaped). */
export class SandboxRecords {
  constructor(readonly dir: string) {}

  list(): SandboxRecord[] {
    let names: string[]
    try {
      names = readdirSync(this.dir)
    } catch {
      return []
    }
    return names
      .filter((name) => name.endsWith('.json') && isSandboxId(name.slice(0, -5)))
      .flatMap((name) => {
        const record = this.get(name.slice(0, -5))
        return record ? [record] : []
      })
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
  }

  get(id: string): SandboxRecord | undefined {
    if (!isSandboxId(id)) return undefined
    try {
      const record = JSON.parse(readFileSync(this.file(id), 'utf8')) as SandboxRecord
      return record.id === id && typeof record.expiresAt === 'string' ? record : undefined
    } catch {
      return undefined
    }
  }

  put(record: SandboxRecord): void {
    replaceFile(this.file(record.id), `${JSON.stringify(record, null, 2)}\n`, {createDir: true})
  }

  delete(id: string): void {
    rmSync(this.file(id), {force: true})
  }

  private file(id: string): string {
    if (!isSandboxId(id)) throw new Error(`not a sandbox id: ${JSON.stringify(id)}`)
    return path.join(this.dir, `${id}.json`)
  }
}
