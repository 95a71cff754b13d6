import {Command, Errors} from '@oclif/core'

import {reportError} from './report-error.js'

/** The one place a command's errors become exit codes (see `reportError`); oclif's own errors keep theirs. */
export abstract class OrcaCommand extends Command {
  protected override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    // oclif's own usage errors (unknown flag, missing arg) and exits pass through with their codes.
    if (error instanceof Errors.CLIError || error instanceof Errors.ExitError || 'oclif' in error) {
      return super.catch(error)
    }
    const code = await reportError(error)
    process.exitCode = code
    return this.exit(code)
  }
}
