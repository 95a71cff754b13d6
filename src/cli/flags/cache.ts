import type {FlagTable} from './table.js'

export const cacheLsFlags = {
  json: {type: 'boolean', description: 'print the entries as JSON'},
} as const satisfies FlagTable

export const cachePruneFlags = {
  'max-size': {type: 'string', description: 'size bound like 500m or 2g (default: cache.maxSize)'},
} as const satisfies FlagTable
