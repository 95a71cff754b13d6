import {remoteFlags} from './common.js'
import type {FlagTable} from './table.js'

export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'abandoned'] as const

export const runsFlags = {
  limit: {type: 'integer', char: 'n', min: 1, default: 20, description: 'show at most this many runs'},
  status: {type: 'string', options: RUN_STATUSES, description: 'only runs with this status'},
  json: {type: 'boolean', description: 'print the run records as a JSON array'},
  ...remoteFlags,
} as const satisfies FlagTable
