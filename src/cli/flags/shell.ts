import {pipelineFileFlag} from './common.js'
import type {FlagTable} from './table.js'

/** `orca shell`'s flags. */
export const shellFlags = {
  file: pipelineFileFlag,
} as const satisfies FlagTable
