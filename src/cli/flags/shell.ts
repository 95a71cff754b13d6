import {pipelineFileFlag} from './common.js'
import type {FlagTable} from './table.js'

/** `orca shell`'s flags. */
export const shellFlags = {
  file: pipelineFileFlag,
  // Not read from ORCA_SERVER here: a set variable must not turn `orca shell RUN JOB` into a remote call (Shell.run reads it for a sandbox id alone).
  server: {type: 'string', helpValue: 'URL', description: 'open a terminal in a sandbox of this orca serve instead (the argument is the sandbox id; ORCA_SERVER when the only argument is one; its token from ORCA_TOKEN)'},
} as const satisfies FlagTable
