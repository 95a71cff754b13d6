import {closeSync, constants, fchmodSync, mkdirSync, openSync, readSync} from 'node:fs'
import {createHash} from 'node:crypto'
import * as path from 'node:path'

import {writeAll} from '../atomic-file.js'

const CHUNK = 1024 * 1024
/** One buffer for every copy: copies are synchronous, and a fresh 1 MiB per (usually tiny) file added up. */
let chunk: Buffer | undefined

/**
 * Copies a file and hashes the very bytes it copies, so what is recorded is what was written.
 * Symlinks are refused at both ends (O_NOFOLLOW): an entry never writes or reads through one.
 */
export function copyHashed(source: string, target: string, mode: number): {size: number; sha256: string} {
  mkdirSync(path.dirname(target), {recursive: true})
  const hash = createHash('sha256')
  const input = openSync(source, constants.O_RDONLY | constants.O_NOFOLLOW)
  let size = 0
  try {
    // O_EXCL: never through an existing file or symlink at the target.
    const output = openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode & 0o777)
    try {
      const buffer = (chunk ??= Buffer.allocUnsafe(CHUNK))
      for (let n; (n = readSync(input, buffer, 0, CHUNK, null)) > 0; ) {
        const bytes = buffer.subarray(0, n)
        hash.update(bytes)
        writeAll(output, bytes)
        size += n
      }
      // The umask applies at creation; the recorded mode is what the job produced.
      fchmodSync(output, mode & 0o777)
    } finally {
      closeSync(output)
    }
  } finally {
    closeSync(input)
  }
  return {size, sha256: hash.digest('hex')}
}
