import {closeSync, constants, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync} from 'node:fs'
import * as path from 'node:path'

let tempCount = 0

/**
 * Replaces `file` with `text` (or bytes) through a temporary file and a rename, so readers see the old or the
 * new content, never a mix; `durable` also flushes it to disk before the rename.
 */
export function replaceFile(file: string, text: string | Uint8Array, options: {durable?: boolean; createDir?: boolean; mode?: number; tempDir?: string} = {}): void {
  if (options.createDir) mkdirSync(path.dirname(file), {recursive: true})
  // Unique per process by pid, within it by a counter: writers of the same file never share a temp file.
  // `tempDir` (on the same filesystem) keeps temp files out of a folder others list.
  const temp = path.join(options.tempDir ?? path.dirname(file), `.${path.basename(file)}.${process.pid}.${++tempCount}.tmp`)
  // Never through a link planted at the temp name.
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, options.mode ?? 0o666)
  try {
    try {
      writeAll(fd, text)
      if (options.durable) fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(temp, file)
  } catch (error) {
    rmSync(temp, {force: true})
    throw error
  }
}

/** Writes all of `data`: writeSync may write less than asked (a full disk reports it on the next call). */
export function writeAll(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data
  for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset, bytes.length - offset)
}
