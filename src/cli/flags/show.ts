import {remoteFlags} from './common.js'
import type {FlagTable} from './table.js'

export const showFlags = {
  json: {type: 'boolean', description: 'print the run record as JSON'},
  artifacts: {type: 'boolean', description: 'list every artifact file of every job (by default, the first 10 of each)'},
  html: {type: 'string', helpValue: 'FILE', description: "write the dashboard's run page (graph, timeline, steps, logs) as one self-contained HTML file, e.g. for a CI artifact"},
  ...remoteFlags,
} as const satisfies FlagTable
