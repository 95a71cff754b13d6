import {Flags} from '@oclif/core'

/** `-e KEY=VALUE`, repeatable; one value per flag so targets after it are not taken as values. */
export function envFlag(description: string) {
  return Flags.string({char: 'e', description, multiple: true, multipleNonGreedy: true})
}
