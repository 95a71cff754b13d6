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

/** `orca sandbox create`'s flags. */
export const sandboxCreateFlags = {
  server: {...sandboxServerFlag, description: 'the orca serve to make it on (its token from ORCA_TOKEN); required'},
  ttl: {type: 'string', description: "time-to-live, e.g. 30m (default and maximum: the server's serve.sandboxes)"},
  env: {type: 'string', char: 'e', multiple: true, description: 'KEY=VALUE in its environment'},
  network: {type: 'string', options: ['bridge', 'none'], description: "its network (default bridge when the server allows one); none cannot forward ports"},
  json: {type: 'boolean', description: 'print the sandbox as JSON instead of its id'},
} as const satisfies FlagTable

/** The flags of `orca sandbox ls`, `exec` and `rm`. */
export const sandboxServerFlags = {
  server: {...sandboxServerFlag, description: 'the orca serve holding the sandboxes (its token from ORCA_TOKEN); required'},
} as const satisfies FlagTable

/** `orca sandbox ls`'s flags. */
export const sandboxListFlags = {
  ...sandboxServerFlags,
  json: {type: 'boolean', description: 'print the sandboxes as a JSON array'},
} as const satisfies FlagTable
