import {Args} from '@oclif/core'

import {OrcaCommand} from '../cli/base.js'
import {oclifFlags} from '../cli/flags/oclif.js'
import {logsFlags} from '../cli/flags/logs.js'
import {OrcaError} from '../engine/errors.js'
import type {Remote} from '../cli/remote/connection.js'
import type {OrcaEvent} from '../engine/records/events.js'
import type {RunRecord} from '../engine/records/record.js'

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
    {description: 'Follow a run of an orca serve', command: '<%= config.bin %> <%= command.id %> latest --follow --server http://127.0.0.1:7077'},
    {description: 'Events of one job as NDJSON', command: '<%= config.bin %> <%= command.id %> latest --job test --json'},
  ]

  static override args = {
    run: Args.string({description: 'run id, unique prefix, or "latest"', required: true}),
  }

  static override flags = oclifFlags(logsFlags)

  public async run(): Promise<void> {
    const {args, flags} = await this.parse(Logs)
    const [{remoteOf}, {LogPrinter}] = await Promise.all([import('../cli/remote/connection.js'), import('../engine/history/logs.js')])
    const remote = remoteOf(flags)
    const source = remote ? await remoteSource(remote, args.run) : await localSource(args.run)
    const {id, record} = source
    if (flags.job !== undefined) {
      if (!Object.hasOwn((await record()).jobs, flags.job)) {
        throw new OrcaError('usage', `run ${id} has no job "${flags.job}"`, {hint: `its jobs: ${Object.keys((await record()).jobs).join(', ') || 'none'}`})
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
        for await (const event of source.events({follow: true, signal: stop.signal})) print(event)
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
    } else {
      for await (const event of source.events({follow: false})) print(event)
    }
    printer.end()
  }
}

/** Where a run's events come from: this project's runs directory, or a server. */
interface EventSource {
  id: string
  record(): Promise<RunRecord>
  events(options: {follow: boolean; signal?: AbortSignal}): AsyncIterable<OrcaEvent>
}

async function localSource(ref: string): Promise<EventSource> {
  const [{projectConfig}, {resolveRunId}, {readEvents, readRunRecord}, {followRun}] = await Promise.all([
    import('../cli/project.js'),
    import('../engine/records/run-id.js'),
    import('../engine/records/store.js'),
    import('../engine/history/logs.js'),
  ])
  const config = await projectConfig()
  const id = await resolveRunId(config.runsDir, ref)
  return {
    id,
    record: () => readRunRecord(config.runsDir, id),
    async *events({follow, signal}) {
      if (follow) yield* followRun(config.runsDir, id, signal === undefined ? {} : {signal})
      else yield* await readEvents(config.runsDir, id)
    },
  }
}

async function remoteSource(remote: Remote, ref: string): Promise<EventSource> {
  const {remoteEvents, remoteRecord} = await import('../cli/remote/history.js')
  const record = await remoteRecord(remote, ref)
  return {id: record.id, record: () => Promise.resolve(record), events: (options) => remoteEvents(remote, record, options)}
}
