import {envOverrideFlag, pipelineFileFlag} from './common.js'
import type {FlagTable} from './table.js'

export const explainFlags = {
  file: pipelineFileFlag,
  env: envOverrideFlag('an environment override as the run would get it (KEY=VALUE)'),
  json: {type: 'boolean', description: 'print the explanation as JSON'},
} as const satisfies FlagTable
