import {CACHE_FORMAT, canonicalJson, sha256} from './format.js'
import type {ContentHashed, GitHashed} from './hash-inputs.js'

/** A keyed volume of a job as one run sees it: where it is mounted and the key its content is stored under. */
export interface KeyedVolume {
  /** The volume's name in jobs.yml. */
  name: string
  /** Its absolute path in the container. */
  path: string
  key: string
  /** The key files found, with their digests (for explanations): a SHA-256, or a committed file's git object id. */
  files: Array<{path: string; sha256: string} | {git: string; path: string}>
}

/**
 * The key a volume's content is stored under: the cache format, the volume's name and path, and the
 * paths and content of its key files. Nothing of the job is in it (its image, steps, inputs), and it is
 * in nothing of the job's: a job whose inputs did not change is a hit whatever its volume holds.
 */
export function volumeKey(volume: {name: string; path: string}, files: ReadonlyArray<Pick<ContentHashed, 'path' | 'sha256' | 'git'> | Pick<GitHashed, 'path' | 'git' | 'sha256'>>): KeyedVolume {
  const found = files.map((file) => (file.git === undefined ? {path: file.path, sha256: file.sha256} : {git: file.git, path: file.path})).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const key = sha256(canonicalJson({format: CACHE_FORMAT, kind: 'volume', name: volume.name, path: normalisePath(volume.path), files: found}))
  return {name: volume.name, path: volume.path, key, files: found}
}

/** `/root/.npm/` and `/root/.npm` are one mount point. */
function normalisePath(at: string): string {
  return at.length > 1 ? at.replace(/\/+$/, '') : at
}
