import {remoteFlags} from './common.js'
import type {FlagTable} from './table.js'

export const showFlags = {
  json: {type: 'boolean', description: 'print the run record as JSON'},
  artifacts: {type: 'boolean', description: 'list every artifact file of every job (by default, the first 10 of each)'},
  ...remoteFlags,
} as const satisfies FlagTable
