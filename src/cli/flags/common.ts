import type {FlagSpec} from './table.js'

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
