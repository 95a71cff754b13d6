import {remoteFlags} from './common.js'
import type {FlagTable} from './table.js'

export const artifactsFlags = {
  job: {type: 'string', multiple: true, description: 'only this job'},
  ...remoteFlags,
} as const satisfies FlagTable
