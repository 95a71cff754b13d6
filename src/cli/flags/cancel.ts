import {remoteFlags} from './common.js'
import type {FlagTable} from './table.js'

export const cancelFlags = {
  force: {type: 'boolean', description: 'stop the containers without a grace period (as a second Ctrl-C does)'},
  ...remoteFlags,
} as const satisfies FlagTable
