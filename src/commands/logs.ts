import {Args} from '@oclif/core'

import {OrcaCommand} from '../cli/base.js'
import {oclifFlags} from '../cli/flags/oclif.js'
import {logsFlags} from '../cli/flags/logs.js'
import {OrcaError} from '../engine/errors.js'
import type {OrcaEvent} from '../engine/records/events.js'

export default class Logs extends OrcaCommand {
  static override summary = "Print a run's logs; --follow streams a run that is still going."

  static override description = `Prints the output of a run's jobs, step by step ("==> step" headers, as in logs/<job>.log), secrets masked. With several jobs each line is prefixed with [job]; with --job only that job's log is printed, as is. With --json the run's events are printed as NDJSON instead (the same events \`orca run --output json\` prints).

--follow keeps printing as another orca process writes the run and ends when the run finishes; it also ends when that process dies without finishing (the run is then recorded as abandoned).

RUN is a run id, a unique prefix of one, or "latest".

Exit codes: 0 printed, 2 unknown run or job, or usage error.`

  static override examples = [
    {description: 'Every log of the latest run', command: '<%= config.bin %> <%= command.id %> latest'},
    {description: 'One job of a run, by an id prefix', command: '<%= config.bin %> <%= command.id %> 20261125T2030 --job build'},
    {description: 'Watch a run started in another terminal', command: '<%= config.bin %> <%= command.id %> latest --follow'},
    {description: 'Events of one job as NDJSON', command: '<%= config.bin %> <%= command.id %> latest --job test --json'},
  ]

  static override args = {
    run: Args.string({description: 'run id, unique prefix, or "latest"', required: true}),
  }

  static override flags = oclifFlags(logsFlags)

  public async run(): Promise<void> {
    const {args, flags} = await this.parse(Logs)
    const [{projectConfig}, {resolveRunId}, {readEvents, readRunRecord}, {followRun, LogPrinter}] = await Promise.all([
      import('../cli/project.js'),
      import('../engine/records/run-id.js'),
      import('../engine/records/store.js'),
      import('../engine/history/logs.js'),
    ])
    const config = await projectConfig()
    const id = await resolveRunId(config.runsDir, args.run)
    if (flags.job !== undefined) {
      const record = await readRunRecord(config.runsDir, id)
      if (!Object.hasOwn(record.jobs, flags.job)) {
        throw new OrcaError('usage', `run ${id} has no job "${flags.job}"`, {hint: `its jobs: ${Object.keys(record.jobs).join(', ') || 'none'}`})
      }
    }
    const write = (text: string): void => {
      process.stdout.write(text)
    }
    const printer = new LogPrinter(write, {job: flags.job})
    const print = (event: OrcaEvent): void => {
      if (!flags.json) return printer.handle(event)
      if (flags.job === undefined || ('job' in event && event.job === flags.job)) write(JSON.stringify(event) + '\n')
    }

    if (flags.follow) {
      const stop = new AbortController()
      const onSignal = (): void => stop.abort()
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      try {
        for await (const event of followRun(config.runsDir, id, {signal: stop.signal})) print(event)
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
    } else {
      for (const event of await readEvents(config.runsDir, id)) print(event)
    }
    printer.end()
  }
}
