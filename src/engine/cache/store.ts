import {existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import * as path from 'node:path'

import {copyHashed} from './copy.js'
import {CACHE_FORMAT, sha256} from './format.js'
import type {KeyManifest} from './key.js'

/** A file held by an entry (an artifact of the job). */
export interface CachedFile {
  path: string
  size: number
  sha256: string
  /** Permission bits. */
  mode: number
}

/** Output of a step as it was emitted (already masked). */
export interface OutputChunk {
  step: number
  stream: 'stdout' | 'stderr'
  text: string
}

/** `entry.json`: what an entry holds and how to check it. */
export interface EntryMeta {
  format: number
  key: string
  job: string
  projectDir: string
  /** The run that produced the entry. */
  runId: string
  createdAt: string
  artifacts: CachedFile[]
  output: {size: number; sha256: string}
  /** Bytes the entry's files take. */
  size: number
}

export type EntryRead = {status: 'found'; meta: EntryMeta} | {status: 'absent'} | {status: 'corrupt'; reason: string}

export interface PublishInput {
  key: string
  job: string
  projectDir: string
  runId: string
  manifest: KeyManifest
  /** The job's collected artifacts (may not exist when it has none). */
  artifactsDir: string
  output: OutputChunk[]
}

/** The entry is damaged: the caller treats it as a miss; the store has already removed it. */
export class CorruptEntryError extends Error {
  override name = 'CorruptEntryError'
}

/**
 * The content-addressed cache on disk: `<cacheDir>/v1/entries/<ab>/<key>/` holds `entry.json`,
 * `manifest.json`, `output.jsonl` and `artifacts/`. An entry is built in `tmp/` and renamed into place,
 * so readers see a whole entry or none; the first process to publish a key wins. Reads verify every
 * byte against `entry.json`, and a damaged entry is removed (a miss, never a wrong result).
 */
export class CacheStore {
  readonly root: string

  constructor(readonly dir: string) {
    this.root = path.join(dir, `v${CACHE_FORMAT}`)
  }

  entryDir(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`not a cache key: ${key}`)
    return path.join(this.root, 'entries', key.slice(0, 2), key)
  }

  get tmpDir(): string {
    return path.join(this.root, 'tmp')
  }

  /** Reads an entry's description; a damaged one is removed and reported as `corrupt`. */
  read(key: string): EntryRead {
    const dir = this.entryDir(key)
    let text: string
    try {
      text = readFileSync(path.join(dir, 'entry.json'), 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(dir)) return {status: 'absent'}
      return this.corrupt(key, 'entry.json is missing or unreadable')
    }
    try {
      const meta = JSON.parse(text) as EntryMeta
      if (meta.format !== CACHE_FORMAT || meta.key !== key || !Array.isArray(meta.artifacts) || typeof meta.output?.sha256 !== 'string') {
        return this.corrupt(key, 'entry.json does not describe this key')
      }
      return {status: 'found', meta}
    } catch {
      return this.corrupt(key, 'entry.json is not valid JSON')
    }
  }

  /** Copies the entry's artifacts into destDir, checking each against its recorded size and hash. */
  restore(meta: EntryMeta, destDir: string): CachedFile[] {
    const source = path.join(this.entryDir(meta.key), 'artifacts')
    mkdirSync(destDir, {recursive: true})
    for (const file of meta.artifacts) {
      if (!isSafeRelative(file.path)) throw this.damaged(meta.key, `unsafe artifact path "${file.path}"`)
      let copied
      try {
        copied = copyHashed(path.join(source, ...file.path.split('/')), path.join(destDir, ...file.path.split('/')), file.mode)
      } catch (error) {
        throw this.damaged(meta.key, `artifact ${file.path}: ${(error as Error).message}`)
      }
      if (copied.size !== file.size || copied.sha256 !== file.sha256) throw this.damaged(meta.key, `artifact ${file.path} does not match its hash`)
    }
    return meta.artifacts
  }

  /** The recorded output of the job, checked against its hash. */
  readOutput(meta: EntryMeta): OutputChunk[] {
    let bytes: Buffer
    try {
      bytes = readFileSync(path.join(this.entryDir(meta.key), 'output.jsonl'))
    } catch {
      throw this.damaged(meta.key, 'output.jsonl is missing')
    }
    if (bytes.length !== meta.output.size || sha256(bytes) !== meta.output.sha256) throw this.damaged(meta.key, 'output.jsonl does not match its hash')
    return bytes
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as OutputChunk)
  }

  /** The key manifest stored with an entry, for explanations; undefined when absent or unreadable. */
  readManifest(key: string): KeyManifest | undefined {
    try {
      return JSON.parse(readFileSync(path.join(this.entryDir(key), 'manifest.json'), 'utf8')) as KeyManifest
    } catch {
      return undefined
    }
  }

  /** Marks the entry as just used (LRU order for pruning). */
  touch(key: string): void {
    const now = new Date()
    try {
      utimesSync(path.join(this.entryDir(key), 'entry.json'), now, now)
    } catch {
      // Removed meanwhile by another process's prune: nothing to mark.
    }
  }

  /**
   * Builds the entry in a temp folder and renames it into place. `exists` when another process
   * published the key first (its entry is kept: same key, same content).
   */
  publish(input: PublishInput): 'stored' | 'exists' {
    const final = this.entryDir(input.key)
    if (existsSync(path.join(final, 'entry.json'))) return 'exists'
    mkdirSync(this.tmpDir, {recursive: true})
    const temp = path.join(this.tmpDir, `${input.key.slice(0, 16)}-${process.pid}-${randomBytes(4).toString('hex')}`)
    mkdirSync(temp)
    try {
      const artifacts = copyTree(input.artifactsDir, path.join(temp, 'artifacts'))
      const output = Buffer.from(input.output.map((c) => JSON.stringify(c) + '\n').join(''))
      writeFileSync(path.join(temp, 'output.jsonl'), output)
      const manifest = JSON.stringify(input.manifest)
      writeFileSync(path.join(temp, 'manifest.json'), manifest)
      const meta: EntryMeta = {
        format: CACHE_FORMAT,
        key: input.key,
        job: input.job,
        projectDir: input.projectDir,
        runId: input.runId,
        createdAt: new Date().toISOString(),
        artifacts,
        output: {size: output.length, sha256: sha256(output)},
        size: artifacts.reduce((n, a) => n + a.size, 0) + output.length + manifest.length,
      }
      writeFileSync(path.join(temp, 'entry.json'), JSON.stringify(meta))
      mkdirSync(path.dirname(final), {recursive: true})
      try {
        renameSync(temp, final)
        return 'stored'
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'ENOTEMPTY' || code === 'EEXIST') return 'exists'
        throw error
      }
    } finally {
      rmSync(temp, {recursive: true, force: true})
    }
  }

  /** Removes an entry: renamed away first, so no reader ever sees it half deleted. */
  discard(key: string): void {
    const dir = this.entryDir(key)
    mkdirSync(this.tmpDir, {recursive: true})
    const trash = path.join(this.tmpDir, `discard-${key.slice(0, 16)}-${process.pid}-${randomBytes(4).toString('hex')}`)
    try {
      renameSync(dir, trash)
    } catch {
      return // already gone (another process discarded or pruned it)
    }
    rmSync(trash, {recursive: true, force: true})
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

/** Copies every regular file under `source` (paths relative, `/`-separated); nothing when it does not exist. */
function copyTree(source: string, target: string): CachedFile[] {
  const files: CachedFile[] = []
  const walk = (rel: string): void => {
    let entries
    try {
      entries = readdirSync(rel ? path.join(source, rel) : source, {withFileTypes: true})
    } catch (error) {
      if (rel === '' && (error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw error
    }
    for (const entry of entries) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name
      const abs = path.join(source, childRel)
      if (entry.isDirectory()) walk(childRel)
      else if (entry.isFile()) {
        const mode = lstatSync(abs).mode & 0o777
        const copied = copyHashed(abs, path.join(target, childRel), mode)
        files.push({path: childRel, size: copied.size, sha256: copied.sha256, mode})
      }
    }
  }
  walk('')
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

function isSafeRelative(rel: string): boolean {
  return rel !== '' && !rel.startsWith('/') && !rel.split('/').some((s) => s === '..' || s === '.' || s === '')
}
