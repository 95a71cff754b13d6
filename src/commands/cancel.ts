import {Args} from '@oclif/core'

import {OrcaCommand} from '../cli/base.js'
import {cancelFlags} from '../cli/flags/cancel.js'
import {oclifFlags} from '../cli/flags/oclif.js'

export default class Cancel extends OrcaCommand {
  static override summary = 'Cancel a live run, as Ctrl-C in its terminal would.'

  static override description = `Asks the orca process running RUN to cancel it: its containers are stopped and cleaned per policy and the run is recorded as cancelled (its \`orca run\` exits 130). The command returns once the request is made; \`orca logs RUN --follow\` shows the end. --force is the second Ctrl-C: containers are stopped without a grace period.

Locally, the run must be one of this project's, run by an \`orca run\` on this machine (a run of \`orca serve\` is cancelled through the server: --server URL). With --server, the server cancels a run it is running.

RUN is a run id, a unique prefix of one, or "latest".

Exit codes: 0 cancellation asked, 2 unknown run, a run that has already finished, or one this command cannot reach.`

  static override examples = [
    {description: 'Cancel the latest run', command: '<%= config.bin %> <%= command.id %> latest'},
    {description: 'Stop its containers at once', command: '<%= config.bin %> <%= command.id %> 20261125T2030 --force'},
    {description: 'Cancel a run of an orca serve', command: '<%= config.bin %> <%= command.id %> latest --server http://127.0.0.1:7077'},
  ]

  static override args = {
    run: Args.string({description: 'run id, unique prefix, or "latest"', required: true}),
  }

  static override flags = oclifFlags(cancelFlags)

  public async run(): Promise<void> {
    const {args, flags} = await this.parse(Cancel)
    const {remoteOf} = await import('../cli/remote/connection.js')
    const remote = remoteOf(flags)
    if (remote) {
      const {remoteCancel} = await import('../cli/remote/history.js')
      const id = await remoteCancel(remote, args.run, flags.force === true)
      process.stdout.write(`cancelling run ${id} on ${remote.url}\n`)
      return
    }
    const [{projectConfig}, {resolveRunId}, {cancelLocalRun}] = await Promise.all([
      import('../cli/project.js'),
      import('../engine/records/run-id.js'),
      import('../engine/history/cancel.js'),
    ])
    const config = await projectConfig()
    const id = await resolveRunId(config.runsDir, args.run)
    const pid = await cancelLocalRun(config.runsDir, id, flags.force === true)
    process.stdout.write(`cancelling run ${id} (orca process ${pid})\n`)
  }
}
