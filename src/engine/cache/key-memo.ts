import {readFileSync} from 'node:fs'

import {replaceFile} from '../atomic-file.js'
import {canonicalJson, sha256} from './format.js'
import {INDEX_FORMAT} from '../index-format.js'
import type {KeyManifest} from './key.js'

/** Entries kept per stat index generation (one per job and set of `-e` values keyed since it was written). */
const MAX_ENTRIES = 256

/**
 * Job keys remembered by what they were computed from, for jobs with many inputs: serialising
 * 10,000 inputs to key a job took ≈ 10 ms here, finding its key in this file well under one.
 *
 * An entry is found by the rest of the manifest (its canonical JSON) and the inputs' fingerprint
 * (InputHasher.fingerprint: the stat index generation they were all taken from, and their paths).
 * That generation's index file holds exactly their modes and hashes, so an entry can only give the
 * key keyOf would compute. The file keeps the entries of one generation; others are dropped on load.
 */
export class KeyMemo {
  private dirty = false

  private constructor(
    private readonly file: string,
    private readonly generation: string,
    private readonly keys: Map<string, string>,
  ) {}

  /** A missing or damaged file, or one from another generation of the stat index, is an empty memo. */
  static load(file: string, generation: string): KeyMemo {
    const keys = new Map<string, string>()
    try {
      const data = JSON.parse(readFileSync(file, 'utf8')) as {format?: unknown; generation?: unknown; keys?: Record<string, unknown>}
      if (data.format === INDEX_FORMAT && data.generation === generation && data.keys && typeof data.keys === 'object') {
        for (const [id, key] of Object.entries(data.keys)) if (typeof key === 'string') keys.set(id, key)
      }
    } catch {
      // Absent or damaged: keys are computed.
    }
    return new KeyMemo(file, generation, keys)
  }

  /** The key remembered for this manifest and inputs' fingerprint, else `compute()`'s, remembered. */
  keyOf(manifest: KeyManifest, fingerprint: string, compute: () => string): string {
    const id = sha256(`${fingerprint}\0${canonicalJson({...manifest, inputs: []})}`)
    const known = this.keys.get(id)
    if (known !== undefined) return known
    const key = compute()
    this.keys.set(id, key)
    for (const oldest of this.keys.keys()) {
      if (this.keys.size <= MAX_ENTRIES) break
      this.keys.delete(oldest)
    }
    this.dirty = true
    return key
  }

  /** Writes the memo when it changed. Never throws: it is only an optimisation. */
  save(): void {
    if (!this.dirty) return
    try {
      replaceFile(this.file, JSON.stringify({format: INDEX_FORMAT, generation: this.generation, keys: Object.fromEntries(this.keys)}), {createDir: true})
      this.dirty = false
    } catch {
      // Read-only or full disk: keys are computed next time.
    }
  }
}
