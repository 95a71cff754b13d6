import {createHash} from 'node:crypto'
import {realpathSync} from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

/** A project as the resources orca creates for it record it: many projects often share one Docker engine. */
export interface ProjectIdentity {
  /** 12 hex characters of SHA-256 over the host name and `dir`: stable while the project stays where it is. */
  id: string
  /** The project directory's real path (symlinks resolved), so two spellings of one folder are one project. */
  dir: string
}

/** The identity of the project in `projectDir` (the directory holding its jobs.yml) on `host`. */
export function projectIdentity(projectDir: string, host: string = os.hostname()): ProjectIdentity {
  const dir = realPath(path.resolve(projectDir))
  // The host is part of it: two machines sharing a remote engine may check projects out at the same path.
  const id = createHash('sha256').update(`${host}\n${dir}`).digest('hex').slice(0, 12)
  return {id, dir}
}

function realPath(dir: string): string {
  try {
    return realpathSync(dir)
  } catch {
    // A folder that does not exist (any more) still names a project, e.g. to clean up after it.
    return dir
  }
}
