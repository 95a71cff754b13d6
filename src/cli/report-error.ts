import {exitCode, OrcaError} from '../engine/errors.js'
import {flushed} from '../engine/stream-drain.js'

/**
 * Prints an error the way every command does and returns its exit code: OrcaErrors print their
 * message (and hint) without a stack; anything unexpected prints its stack with a hint to report it.
 * Resolves once stderr took the text: exiting earlier would cut a long diagnostic list at 64 KiB.
 */
export async function reportError(error: unknown): Promise<number> {
  if (error instanceof OrcaError) {
    // A ConfigError's message is already a list of `file:line:col path: message` lines.
    process.stderr.write(`${error.name === 'ConfigError' ? '' : 'error: '}${error.message}\n`)
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`)
  } else {
    const {message, stack} = error instanceof Error ? error : {message: String(error), stack: undefined}
    process.stderr.write(`orca: unexpected error: ${stack ?? message}\n`)
    process.stderr.write('hint: this is a bug in orca; please report it with the command you ran.\n')
  }
  await flushed(process.stderr)
  return error instanceof OrcaError ? error.exitCode : exitCode('internal')
}
