import {Args} from '@oclif/core'

import {OrcaCommand} from '../cli/base.js'
import {oclifFlags} from '../cli/flags/oclif.js'
import {showFlags} from '../cli/flags/show.js'
import type {ArtifactEntry} from '../engine/artifacts/manifest.js'
import type {RunRecord} from '../engine/records/record.js'

export default class Show extends OrcaCommand {
  static override summary = 'Show one run: its jobs, states, durations, cache use, artifacts and a timeline.'

  static override description = `Prints a run's record: status, targets, times, then one line per job (status, duration, cache hit/miss, what cleanup did, artifacts), a timeline with one bar per job on a shared time axis (so parallel jobs and the critical path, marked *, can be seen), each job's artifacts (count, bytes, the manifest listing them, and the first 10 files with their sizes and digests; every file with --artifacts), and why jobs failed or were skipped.

RUN is a run id, a unique prefix of one, or "latest". A run whose orca process is gone is shown (and recorded) as abandoned.

Exit codes: 0 shown, 2 unknown run or usage error.`

  static override examples = [
    {description: 'The most recent run', command: '<%= config.bin %> <%= command.id %> latest'},
    {description: 'A run by a prefix of its id', command: '<%= config.bin %> <%= command.id %> 20261125T2030'},
    {description: 'The run record (run.json) as JSON', command: '<%= config.bin %> <%= command.id %> latest --json'},
    {description: 'Every artifact file of the run, with sizes and digests', command: '<%= config.bin %> <%= command.id %> latest --artifacts'},
    {description: 'A run of an orca serve', command: '<%= config.bin %> <%= command.id %> latest --server http://127.0.0.1:7077'},
    {description: 'Durations of every job with jq', command: "<%= config.bin %> <%= command.id %> latest --json | jq '.jobs | map_values(.durationMs)'"},
  ]

  static override args = {
    run: Args.string({description: 'run id, unique prefix, or "latest"', required: true}),
  }

  static override flags = oclifFlags(showFlags)

  public async run(): Promise<void> {
    const {args, flags} = await this.parse(Show)
    const [{remoteOf}, {formatRunDetails}] = await Promise.all([import('../cli/remote/connection.js'), import('../views/history/format.js')])
    const remote = remoteOf(flags)
    let record: RunRecord
    let artifacts: Map<string, ArtifactEntry[]>
    if (remote) {
      const {remoteArtifactEntries, remoteRecord} = await import('../cli/remote/history.js')
      record = await remoteRecord(remote, args.run)
      artifacts = flags.json ? new Map() : await remoteArtifactEntries(remote, record.id)
    } else {
      const [{projectConfig}, {resolveRunId}, {inspectRun}, {readJobArtifacts}] = await Promise.all([
        import('../cli/project.js'),
        import('../engine/records/run-id.js'),
        import('../engine/history/abandon.js'),
        import('../engine/history/artifacts.js'),
      ])
      const config = await projectConfig()
      record = await inspectRun(config.runsDir, await resolveRunId(config.runsDir, args.run))
      artifacts = new Map()
      if (!flags.json) for (const job of Object.keys(record.jobs)) artifacts.set(job, await readJobArtifacts(config.runsDir, record, job))
    }
    if (flags.json) {
      process.stdout.write(JSON.stringify(record, null, 2) + '\n')
      return
    }
    process.stdout.write(formatRunDetails(record, {width: process.stdout.columns ?? 100, artifacts, allArtifacts: flags.artifacts}))
  }
}
