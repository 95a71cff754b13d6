import type {FlagTable} from './table.js'

export const serveKeysAddFlags = {
  scope: {type: 'string', multiple: true, options: ['read', 'run', 'sandbox', 'admin'], helpValue: 'SCOPE', description: 'what the key may do (repeat for more): read, run, sandbox, or admin (everything)'},
  expires: {type: 'string', helpValue: 'DURATION', description: 'refuse the key after this long, e.g. 30d or 12h (default: never)'},
  json: {type: 'boolean', description: 'print the key (with its secret) as JSON'},
} as const satisfies FlagTable

export const serveKeysLsFlags = {
  json: {type: 'boolean', description: 'print the keys as a JSON array'},
} as const satisfies FlagTable
