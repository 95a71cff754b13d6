import {OrcaCommand} from '../../cli/base.js'
import {oclifFlags} from '../../cli/flags/oclif.js'
import {sandboxListFlags} from '../../cli/flags/sandbox.js'

interface Listed {
  id: string
  state: string
  image: string
  expiresAt: string
  reason?: string
}

export default class SandboxList extends OrcaCommand {
  static override summary = 'List the sandboxes of an orca serve.'

  static override description = `One line per sandbox, oldest first: id, state (running, creating, gone, expired), image and when it expires (or why it ended). Ended sandboxes stay listed for a day.`

  static override examples = [{description: 'Every sandbox', command: '<%= config.bin %> <%= command.id %> --server http://127.0.0.1:7070'}]

  static override flags = oclifFlags(sandboxListFlags)

  public async run(): Promise<void> {
    const {flags} = await this.parse(SandboxList)
    const {sandboxJson, sandboxServerOf} = await import('../../cli/sandbox-remote.js')
    const {sandboxes} = await sandboxJson<{sandboxes: Listed[]}>(sandboxServerOf(flags.server, process.env), 'GET', '/v1/sandboxes')
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(sandboxes, null, 2)}\n`)
      return
    }
    if (sandboxes.length === 0) {
      process.stdout.write('no sandboxes\n')
      return
    }
    const rows = sandboxes.map((s) => [s.id, s.state, s.image, s.state === 'running' || s.state === 'creating' ? `expires ${s.expiresAt}` : (s.reason ?? '')])
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
    for (const row of rows) process.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()}\n`)
  }
}
