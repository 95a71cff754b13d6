import {createHash} from 'node:crypto'
import {constants} from 'node:fs'
import {open, type FileHandle} from 'node:fs/promises'

/**
 * Opens an artifact's file for reading (no link followed) when it holds exactly the bytes its entry
 * records; `changed` when it exists with other bytes (changed through a hard link), undefined when it
 * cannot be opened. Readers check before the first byte leaves orca, so changed content is never handed on.
 */
export async function openVerified(file: string | undefined, entry: {size: number; sha256: string}): Promise<FileHandle | 'changed' | undefined> {
  if (file === undefined) return undefined
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined)
  if (handle === undefined) return undefined
  try {
    const info = await handle.stat()
    if (info.isFile() && info.size === entry.size) {
      const hash = createHash('sha256')
      const buffer = Buffer.allocUnsafe(Math.min(entry.size, 1024 * 1024) || 1)
      for (let position = 0; position < entry.size; ) {
        const {bytesRead} = await handle.read(buffer, 0, buffer.length, position)
        if (bytesRead === 0) break
        hash.update(buffer.subarray(0, bytesRead))
        position += bytesRead
      }
      if (hash.digest('hex') === entry.sha256) return handle
    }
  } catch {
    // Unreadable: as good as changed.
  }
  await handle.close()
  return 'changed'
}
