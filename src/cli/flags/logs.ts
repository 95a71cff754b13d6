import {remoteFlags} from './common.js'
import type {FlagTable} from './table.js'

export const logsFlags = {
  job: {type: 'string', description: 'only this job'},
  follow: {type: 'boolean', char: 'f', description: 'keep printing until the run finishes'},
  json: {type: 'boolean', description: 'print events as NDJSON instead of log text'},
  ...remoteFlags,
} as const satisfies FlagTable
