import {OrcaError} from '../engine/errors.js'
import {nameTable} from '../engine/name-table.js'

/** `-e` values as an env object; anything without `KEY=` is a usage error. */
export function parseEnvFlags(values: string[]): Record<string, string> {
  const env = nameTable<string>()
  for (const value of values) {
    const eq = value.indexOf('=')
    if (eq <= 0) throw new OrcaError('usage', `-e expects KEY=VALUE, got "${value}"`)
    env[value.slice(0, eq)] = value.slice(eq + 1)
  }
  return env
}
