import {envOverrideFlag, pipelineFileFlag} from './common.js'
import type {FlagTable} from './table.js'

export const explainFlags = {
  file: pipelineFileFlag,
  env: envOverrideFlag('an environment override as the run would get it (KEY=VALUE)'),
  json: {type: 'boolean', description: 'print the explanation as JSON'},
  inputs: {type: 'boolean', description: "list the job's input files instead of explaining its key"},
  why: {type: 'string', multiple: true, helpValue: 'PATH', description: "say whether PATH is one of the job's input files, and why"},
} as const satisfies FlagTable
