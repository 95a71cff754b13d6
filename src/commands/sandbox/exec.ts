import {Args} from '@oclif/core'

import {OrcaCommand} from '../../cli/base.js'
import {oclifFlags} from '../../cli/flags/oclif.js'
import {sandboxServerFlags} from '../../cli/flags/sandbox.js'

export default class SandboxExec extends OrcaCommand {
  static override summary = 'Run a command in a sandbox of an orca serve.'

  static override description = `Runs COMMAND (after --, no shell: use sh -c "..." for one) in the sandbox's workdir; its stdout and stderr arrive here as it writes them, and orca exits with its exit code. For a terminal, use orca shell --server.

Exit codes: the command's; 2 no such sandbox, or it is gone or expired; 3 the server unreachable.`

  static override examples = [
    {description: 'One command', command: '<%= config.bin %> <%= command.id %> --server http://127.0.0.1:7070 sb-0123456789abcdef -- sh -c "make test"'},
  ]

  static override strict = false

  static override args = {
    sandbox: Args.string({description: 'the sandbox id', required: true}),
  }

  static override flags = oclifFlags(sandboxServerFlags)

  public async run(): Promise<void> {
    const dash = this.argv.indexOf('--')
    // Taken before parsing, which consumes this.argv.
    const command = dash === -1 ? [] : this.argv.slice(dash + 1)
    const {args, flags} = await this.parse(SandboxExec, dash === -1 ? this.argv : this.argv.slice(0, dash))
    if (command.length === 0) this.error('give the command after --, e.g. orca sandbox exec --server URL ID -- ls -la', {exit: 2})
    const {execRemote, sandboxServerOf} = await import('../../cli/sandbox-remote.js')
    const code = await execRemote(sandboxServerOf(flags.server, process.env), args.sandbox, command, {stdout: process.stdout, stderr: process.stderr})
    if (code !== 0) this.exit(code)
  }
}
