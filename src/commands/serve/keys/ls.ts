import {OrcaCommand} from '../../../cli/base.js'
import {oclifFlags} from '../../../cli/flags/oclif.js'
import {serveKeysLsFlags} from '../../../cli/flags/serve-keys.js'
import {openKeyStore} from '../../../cli/serve-keys.js'

export default class ServeKeysLs extends OrcaCommand {
  static override summary = 'List the API keys of orca serve (never their secrets).'

  static override description = `One line per key: id, name, scopes, state (active, revoked or expired), created, last used by a server (recorded every few seconds). Revoked and expired keys stay listed for the record.

Exit codes: 0 listed (also when there is no key).`

  static override examples = [{description: 'The keys of the project in this folder', command: '<%= config.bin %> <%= command.id %>'}]

  static override flags = oclifFlags(serveKeysLsFlags)

  public async run(): Promise<void> {
    const {flags} = await this.parse(ServeKeysLs)
    const keys = (await openKeyStore()).list()
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(keys)}\n`)
      return
    }
    if (keys.length === 0) {
      process.stderr.write('no API keys (orca serve keys add NAME --scope read creates one)\n')
      return
    }
    const now = Date.now()
    const rows = keys.map((k) => [
      k.id,
      k.name,
      k.scopes.join(','),
      k.revoked ? 'revoked' : k.expires && Date.parse(k.expires) <= now ? 'expired' : 'active',
      k.created,
      k.lastUsed ?? '-',
    ])
    const table = [['ID', 'NAME', 'SCOPES', 'STATE', 'CREATED', 'LAST USED'], ...rows]
    const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)))
    for (const row of table) process.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()}\n`)
  }
}
