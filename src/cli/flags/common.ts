import type {FlagSpec, FlagTable} from './table.js'

/** `-f FILE` of the commands that read a pipeline. */
export const pipelineFileFlag = {
  type: 'string',
  char: 'f',
  description: 'pipeline file (default: jobs.yml, found in this folder or the nearest parent holding one)',
} as const satisfies FlagSpec

/** `-e KEY=VALUE`, repeatable. */
export function envOverrideFlag<const Description extends string>(description: Description) {
  return {type: 'string', char: 'e', multiple: true, description} as const satisfies FlagSpec
}

/** `--server URL` and its token, on the commands that can work against `orca serve` (docs/serve.md). */
export const remoteFlags = {
  server: {
    type: 'string',
    env: 'ORCA_SERVER',
    helpValue: 'URL',
    description: "work against this orca serve (e.g. http://127.0.0.1:7077) instead of this project's runs directory; its token comes from ORCA_TOKEN or --token-file",
  },
  'token-file': {type: 'string', helpValue: 'FILE', description: "with --server: read the server's bearer token from FILE (default: the ORCA_TOKEN variable)"},
} as const satisfies FlagTable
