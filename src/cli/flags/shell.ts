import {pipelineFileFlag} from './common.js'
import {sandboxServerFlag} from './sandbox.js'
import type {FlagTable} from './table.js'

/** `orca shell`'s flags. */
export const shellFlags = {
  file: pipelineFileFlag,
  server: {...sandboxServerFlag, description: 'open a terminal in a sandbox of this orca serve instead (the argument is the sandbox id; its token from ORCA_TOKEN)'},
} as const satisfies FlagTable
