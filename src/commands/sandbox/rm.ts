import {Args} from '@oclif/core'

import {OrcaCommand} from '../../cli/base.js'
import {oclifFlags} from '../../cli/flags/oclif.js'
import {sandboxServerFlags} from '../../cli/flags/sandbox.js'

export default class SandboxRemove extends OrcaCommand {
  static override summary = 'Remove sandboxes of an orca serve.'

  static override description = `Removes each SANDBOX and its container. Exit codes: 0 all removed, 2 one is unknown (the others are still removed), 3 the server unreachable.`

  static override examples = [{description: 'One sandbox', command: '<%= config.bin %> <%= command.id %> --server http://127.0.0.1:7070 sb-0123456789abcdef'}]

  static override strict = false

  static override args = {
    sandbox: Args.string({description: 'the sandbox ids', required: true}),
  }

  static override flags = oclifFlags(sandboxServerFlags)

  public async run(): Promise<void> {
    const {argv, flags} = await this.parse(SandboxRemove)
    const {sandboxRequest, sandboxServerOf} = await import('../../cli/sandbox-remote.js')
    const server = sandboxServerOf(flags.server, process.env)
    let failed: unknown
    for (const id of argv as string[]) {
      try {
        await sandboxRequest(server, 'DELETE', `/v1/sandboxes/${encodeURIComponent(id)}`)
        process.stdout.write(`removed ${id}\n`)
      } catch (error) {
        failed ??= error
        process.stderr.write(`orca: ${id}: ${(error as Error).message}\n`)
      }
    }
    if (failed) throw failed
  }
}
