import {Args} from '@oclif/core'

import {OrcaCommand} from '../cli/base.js'
import {oclifFlags} from '../cli/flags/oclif.js'
import {showFlags} from '../cli/flags/show.js'
import type {ArtifactEntry} from '../engine/artifacts/manifest.js'
import type {RunRecord} from '../engine/records/record.js'

export default class Show extends OrcaCommand {
  static override summary = 'Show one run: its jobs, states, durations, cache use, artifacts and a timeline.'

  static override description = `Prints a run's record: status, targets, times, then one line per job (status, duration, cache hit/miss, what cleanup did, artifacts), a timeline with one bar per job on a shared time axis (so parallel jobs and the critical path, marked *, can be seen), each job's artifacts (count, bytes, the manifest listing them, and the first 10 files with their sizes and digests; every file with --artifacts), and why jobs failed or were skipped.

With --html FILE, writes the run page of \`orca serve\`'s dashboard instead (the pipeline graph, the timeline, each job's steps, exit codes, log and artifacts) as one self-contained HTML file that needs no server and no network.

RUN is a run id, a unique prefix of one, or "latest". A run whose orca process is gone is shown (and recorded) as abandoned.

Exit codes: 0 shown (or written), 2 unknown run, a file that cannot be written, or usage error.`

  static override examples = [
    {description: 'The most recent run', command: '<%= config.bin %> <%= command.id %> latest'},
    {description: 'A run by a prefix of its id', command: '<%= config.bin %> <%= command.id %> 20261125T2030'},
    {description: 'The run record (run.json) as JSON', command: '<%= config.bin %> <%= command.id %> latest --json'},
    {description: 'Every artifact file of the run, with sizes and digests', command: '<%= config.bin %> <%= command.id %> latest --artifacts'},
    {description: 'The run page as one HTML file (no network needed to view it)', command: '<%= config.bin %> <%= command.id %> latest --html run.html'},
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
      if (flags.html !== undefined) {
        const {OrcaError} = await import('../engine/errors.js')
        throw new OrcaError('usage', '--html writes a run of this project; the dashboard of an orca serve is at its address')
      }
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
      if (flags.html !== undefined) {
        const [{runGraph}, {embeddedRun, runPageHtml}, {writeFileSync}, {OrcaError}] = await Promise.all([
          import('../engine/history/run-graph.js'),
          import('../views/history/run-html.js'),
          import('node:fs'),
          import('../engine/errors.js'),
        ])
        const html = runPageHtml(await embeddedRun(config.runsDir, record, await runGraph(record, config.defaults)))
        try {
          writeFileSync(flags.html, html)
        } catch (error) {
          throw new OrcaError('usage', `cannot write ${flags.html}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {cause: error})
        }
        process.stderr.write(`wrote ${flags.html} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB)\n`)
        return
      }
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
