import {Args} from '@oclif/core'

import {OrcaCommand} from '../../../cli/base.js'
import {oclifFlags} from '../../../cli/flags/oclif.js'
import {serveKeysAddFlags} from '../../../cli/flags/serve-keys.js'
import {openKeyStore} from '../../../cli/serve-keys.js'

export default class ServeKeysAdd extends OrcaCommand {
  static override summary = 'Create an API key for orca serve and print its secret once.'

  static override description = `Creates a key named NAME with the given scopes and prints its secret (orca_<id>_<random>) on stdout, once: only a SHA-256 of it is stored, in serve-keys.json beside the project's runs folder (.orca/ by default). A running orca serve accepts it at once, as "Authorization: Bearer <secret>". Scopes: read (records, events, logs, artifacts), run (start and cancel runs, POST /v1/execute), sandbox (sandboxes), admin (everything, and the webhook deliveries). Once the key file exists, every route but the public ones needs a key, even on 127.0.0.1.

Exit codes: 0 created, 2 a bad name, scope or duration, or an active key of that name exists.`

  static override examples = [
    {description: 'A key for CI that may start runs and read them', command: '<%= config.bin %> <%= command.id %> ci --scope run --scope read'},
    {description: 'A read-only key that expires in 30 days', command: '<%= config.bin %> <%= command.id %> dashboard --scope read --expires 30d'},
  ]

  static override args = {name: Args.string({description: 'a name for the key (letters, digits, ".", "_", "-")', required: true})}
  static override flags = oclifFlags(serveKeysAddFlags)

  public async run(): Promise<void> {
    const {args, flags} = await this.parse(ServeKeysAdd)
    const [{OrcaError}, {parseDuration}] = await Promise.all([import('../../../engine/errors.js'), import('../../../engine/duration.js')])
    const expiresInMs = flags.expires === undefined ? undefined : parseDuration(flags.expires)
    if (flags.expires !== undefined && (expiresInMs === undefined || expiresInMs <= 0)) throw new OrcaError('usage', `--expires: expected a duration like "30d" or "12h", got ${JSON.stringify(flags.expires)}`)
    const keys = await openKeyStore()
    const {key, secret} = keys.add(args.name, flags.scope ?? [], {expiresInMs})
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({...key, secret})}\n`)
      return
    }
    process.stderr.write(`key ${key.name} (id ${key.id}, scopes ${key.scopes.join(', ')}${key.expires ? `, expires ${key.expires}` : ''}); the secret below is shown only now\n`)
    process.stdout.write(`${secret}\n`)
  }
}
