import {pipelineFileFlag} from './common.js'
import type {FlagTable} from './table.js'

export const mcpFlags = {
  file: pipelineFileFlag,
} as const satisfies FlagTable
