import {Command, Errors} from '@oclif/core'

import {OrcaError} from '../engine/errors.js'

/**
 * The one place errors become exit codes: OrcaErrors print their message (and hint) without a stack;
 * anything unexpected prints its stack with a hint to report it.
 */
export abstract class OrcaCommand extends Command {
  protected override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    if (error instanceof OrcaError) {
      process.stderr.write(`${prefix(error)}${error.message}\n`)
      if (error.hint) process.stderr.write(`hint: ${error.hint}\n`)
      process.exitCode = error.exitCode
      // exit() ends the process at once: a long diagnostic list still queued for a pipe would be cut at 64 KiB.
      await new Promise<void>((resolve) => process.stderr.write('', () => resolve()))
      return this.exit(error.exitCode)
    }
    // oclif's own usage errors (unknown flag, missing arg) and exits pass through with their codes.
    if (error instanceof Errors.CLIError || error instanceof Errors.ExitError || 'oclif' in error) {
      return super.catch(error)
    }
    process.stderr.write(`orca: unexpected error: ${error.stack ?? error.message}\n`)
    process.stderr.write('hint: this is a bug in orca; please report it with the command you ran.\n')
    return this.exit(1)
  }
}

function prefix(error: OrcaError): string {
  // A ConfigError's message is already a list of `file:line:col path: message` lines.
  return error.name === 'ConfigError' ? '' : 'error: '
}
