import {Flags} from '@oclif/core'

import {OrcaError} from '../engine/errors.js'

/** `-e KEY=VALUE`, repeatable; one value per flag so targets after it are not taken as values. */
export function envFlag(description: string) {
  return Flags.string({char: 'e', description, multiple: true, multipleNonGreedy: true})
}

/** `-e` values as an env object; anything without `KEY=` is a usage error. */
export function parseEnvFlags(values: string[]): Record<string, string> {
  const env: Record<string, string> = {}
  for (const value of values) {
    const eq = value.indexOf('=')
    if (eq <= 0) throw new OrcaError('usage', `-e expects KEY=VALUE, got "${value}"`)
    env[value.slice(0, eq)] = value.slice(eq + 1)
  }
  return env
}
