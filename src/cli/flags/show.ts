import type {FlagTable} from './table.js'

export const showFlags = {
  json: {type: 'boolean', description: 'print the run record as JSON'},
} as const satisfies FlagTable
