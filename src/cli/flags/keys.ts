import type {FlagTable} from './table.js'

export const keysGenerateFlags = {
  out: {type: 'string', default: '.orca/keys', helpValue: 'DIR', description: 'folder the key pair is written to (created when missing)'},
  name: {type: 'string', default: 'orca', helpValue: 'NAME', description: 'file name of the pair: NAME.key (private) and NAME.pub (public)'},
} as const satisfies FlagTable
