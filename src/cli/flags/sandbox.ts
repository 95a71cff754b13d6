import type {FlagSpec, FlagTable} from './table.js'

/** `--server URL` of the sandbox client commands; the token comes from ORCA_TOKEN only (a flag would show in `ps`). */
export const sandboxServerFlag = {
  type: 'string',
  env: 'ORCA_SERVER',
  helpValue: 'URL',
  description: 'the orca serve to reach (its token from ORCA_TOKEN)',
} as const satisfies FlagSpec

/** `orca sandbox forward`'s flags. */
export const sandboxForwardFlags = {
  server: {...sandboxServerFlag, description: 'the orca serve holding the sandbox (its token from ORCA_TOKEN); required'},
  address: {type: 'string', default: '127.0.0.1', description: 'local address to listen on'},
} as const satisfies FlagTable
