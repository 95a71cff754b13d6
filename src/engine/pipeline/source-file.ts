import * as path from 'node:path'

/** jobs.yml and config files larger than this are refused before they are parsed. */
export const MAX_FILE_BYTES = 1024 * 1024

/** The path as the user would write it: relative to cwd when inside it, else as given. */
export function displayPath(given: string, absFile: string, cwd: string): string {
  const relative = path.relative(cwd, absFile)
  if (relative && !relative.startsWith('..') && !path.isAbsolute(relative)) return relative
  return given
}

/** Whether `file` is below `dir` (a name such as `..data` inside it is). */
export function isInside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file)
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative)
}
