import type {FlagTable} from './table.js'

export const artifactsFlags = {
  job: {type: 'string', multiple: true, description: 'only this job'},
} as const satisfies FlagTable
