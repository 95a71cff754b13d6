import {Args} from '@oclif/core'

import {OrcaCommand} from '../../../cli/base.js'
import {openKeyStore} from '../../../cli/serve-keys.js'

export default class ServeKeysRevoke extends OrcaCommand {
  static override summary = 'Revoke an API key of orca serve; running servers refuse it at once.'

  static override description = `Marks the key (by id or name) revoked in serve-keys.json. A running orca serve notices the change on the next request (it checks the file's size and time on each one) and answers 401 to the key from then on; no restart is needed.

Exit codes: 0 revoked, 2 no such active key.`

  static override examples = [{description: 'Revoke the key named ci', command: '<%= config.bin %> <%= command.id %> ci'}]

  static override args = {key: Args.string({description: 'the key\'s id or name', required: true})}

  public async run(): Promise<void> {
    const {args} = await this.parse(ServeKeysRevoke)
    const key = (await openKeyStore()).revoke(args.key)
    process.stdout.write(`revoked ${key.name} (id ${key.id})\n`)
  }
}
