import type {ParserOutput} from '@oclif/core/interfaces'

import {runFlags} from './flags/run.js'
import {parsePlainArgv} from './flags/plain-argv.js'
import type {FlagValues} from './flags/table.js'

/** `orca run`'s arguments once parsed, by oclif or by `parseRunArgv`: the targets and the flags of `runFlags`. */
export interface RunArgs {
  targets: string[]
  flags: FlagValues<typeof runFlags>
}

/**
 * Parses `orca run`'s argv without oclif, for the fast start of `bin/run.cjs`; undefined when oclif
 * must parse it (help, anything unusual, a usage error: see `parsePlainArgv`).
 */
export function parseRunArgv(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): RunArgs | undefined {
  const parsed = parsePlainArgv(runFlags, argv, env)
  return parsed && {targets: parsed.positionals, flags: parsed.flags}
}

/**
 * `orca run`'s arguments from oclif's parse. The targets are its argument tokens in the order given:
 * oclif's own `argv` moves a word to where it first appears in argv, even as a flag's value.
 */
export function runArgsFromOclif({raw, flags}: {raw: ParserOutput['raw']; flags: RunArgs['flags']}): RunArgs {
  return {targets: raw.flatMap((token) => (token.type === 'arg' ? [token.input] : [])), flags}
}
