import {pipelineFileFlag} from './common.js'
import type {FlagTable} from './table.js'

export const validateFlags = {
  file: pipelineFileFlag,
} as const satisfies FlagTable
