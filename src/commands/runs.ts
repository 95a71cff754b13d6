import {OrcaCommand} from '../cli/base.js'
import {oclifFlags} from '../cli/flags/oclif.js'
import {runsFlags} from '../cli/flags/runs.js'

export default class Runs extends OrcaCommand {
  static override summary = 'List past runs, newest first.'

  static override description = `Lists the runs recorded under the runs directory (.orca/runs by default): id, status, targets, start time, duration and how many jobs succeeded, failed (failed, timed out or cancelled) or were cached. A run whose orca process is gone (killed, crashed, machine rebooted) is shown as abandoned, and its record is fixed up so every later look agrees.

Exit codes: 0 listed (also when there are no runs), 2 usage or configuration error.`

  static override examples = [
    {description: 'The 20 most recent runs', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Only failed runs, at most 5', command: '<%= config.bin %> <%= command.id %> --status failed --limit 5'},
    {description: 'Runs whose orca process died', command: '<%= config.bin %> <%= command.id %> --status abandoned'},
    {description: 'Run records as JSON, e.g. for jq', command: "<%= config.bin %> <%= command.id %> --json | jq -r '.[0].id'"},
    {description: 'The runs of an orca serve', command: '<%= config.bin %> <%= command.id %> --server http://127.0.0.1:7077'},
  ]

  static override flags = oclifFlags(runsFlags)

  public async run(): Promise<void> {
    const {flags} = await this.parse(Runs)
    const [{remoteOf}, {formatRunsTable}] = await Promise.all([import('../cli/remote/connection.js'), import('../views/history/format.js')])
    const remote = remoteOf(flags)
    let records
    if (remote) {
      const {remoteRuns} = await import('../cli/remote/history.js')
      records = await remoteRuns(remote, {limit: flags.limit, status: flags.status})
    } else {
      const [{projectConfig}, {inspectRuns}] = await Promise.all([import('../cli/project.js'), import('../engine/history/abandon.js')])
      const config = await projectConfig()
      records = (await inspectRuns(config.runsDir)).filter((r) => flags.status === undefined || r.status === flags.status).slice(0, flags.limit)
    }
    process.stdout.write(flags.json ? JSON.stringify(records, null, 2) + '\n' : formatRunsTable(records))
  }
}
