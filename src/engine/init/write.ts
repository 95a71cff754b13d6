import {randomBytes} from 'node:crypto'
import {chmod, lstat, mkdir, rename, rm, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'

/** A file `orca init` is about to write, its path relative to the project. */
export interface PlannedFile {
  path: string
  text: string
  /** e.g. 0o755 for a git hook; default 0o644. */
  mode?: number
}

/** The planned files that already exist (as anything: a directory in the way counts too). */
export async function existingFiles(dir: string, files: PlannedFile[]): Promise<string[]> {
  const found: string[] = []
  for (const file of files) {
    try {
      await lstat(join(dir, file.path))
      found.push(file.path)
    } catch {
      // Absent: nothing to overwrite.
    }
  }
  return found
}

/** Writes each file through a temporary sibling and a rename, so no reader ever sees half a file. */
export async function writeFilesAtomically(dir: string, files: PlannedFile[]): Promise<void> {
  for (const file of files) {
    const target = join(dir, file.path)
    await mkdir(dirname(target), {recursive: true})
    const temp = join(dirname(target), `.${randomBytes(6).toString('hex')}.orca-init.tmp`)
    try {
      await writeFile(temp, file.text, {flag: 'wx'})
      await chmod(temp, file.mode ?? 0o644)
      await rename(temp, target)
    } catch (error) {
      await rm(temp, {force: true})
      throw error
    }
  }
}
