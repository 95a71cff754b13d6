import {statSync} from 'node:fs'

/** `process.getuid()` where the platform has one (not on Windows). */
export function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined
}

/**
 * The owner of `file` when it is neither `uid` nor root: such a file, found in a folder above the
 * project, may have been planted by another user of a shared parent (as git's safe.directory guards).
 * Undefined when the file may be used, or when there are no owners to compare.
 */
export function foreignOwner(file: string, uid: number | undefined): number | undefined {
  if (uid === undefined) return undefined
  let owner: number
  try {
    owner = statSync(file).uid
  } catch {
    return undefined
  }
  return owner === uid || owner === 0 ? undefined : owner
}
