import * as path from 'node:path'

import {Args} from '@oclif/core'

import {OrcaCommand} from '../cli/base.js'
import {artifactsFlags} from '../cli/flags/artifacts.js'
import {oclifFlags} from '../cli/flags/oclif.js'
import {locateProject} from '../cli/project.js'
import {OrcaError} from '../engine/errors.js'

export default class Artifacts extends OrcaCommand {
  static override summary = "Write a run's artifacts out as files under its artifacts/<job>/ folders."

  static override description = `A job that ran leaves its artifacts as files in the run directory (artifacts/<job>/, read-only hard links to the cache's content). A job restored from the cache leaves only its manifest (artifacts/<job>.json), so a fully cached run costs nothing per file; this command writes the files of such jobs too, as hard links to the cache's content (copies when the runs and the cache are on different filesystems), each checked against its digest first. A job whose folder is there already is left as it is.

Content that no longer matches its digest (changed through a hard link, or pruned from the cache) is an error: the cache entry is removed, so the next \`orca run\` rebuilds it.

With --server, the run is one of that orca serve: its artifacts are downloaded into .orca/downloads/<run-id>/artifacts/<job>/ of this project, each file checked against the digest the server lists.

RUN is a run id, a unique prefix of one, or "latest".

Exit codes: 0 written, 2 unknown run or job, 3 content missing or changed.`

  static override examples = [
    {description: 'Download the artifacts of the latest run of an orca serve into .orca/downloads/<run-id>/artifacts/', command: '<%= config.bin %> <%= command.id %> latest --server http://127.0.0.1:7077'},
    {description: 'Every job of the latest run', command: '<%= config.bin %> <%= command.id %> latest'},
    {description: 'One job, then copy its files into the project', command: '<%= config.bin %> <%= command.id %> latest --job build && cp -r .orca/runs/*/artifacts/build/dist .'},
  ]

  static override args = {
    run: Args.string({description: 'run id, unique prefix, or "latest"', required: true}),
  }

  static override flags = oclifFlags(artifactsFlags)

  public async run(): Promise<void> {
    const {args, flags} = await this.parse(Artifacts)
    const [{projectConfig}, {resolveRunId}, {readRunRecord}, {materialiseRun}, {remoteOf}] = await Promise.all([
      import('../cli/project.js'),
      import('../engine/records/run-id.js'),
      import('../engine/records/store.js'),
      import('../engine/history/artifacts.js'),
      import('../cli/remote/connection.js'),
    ])
    const config = await projectConfig()
    const remote = remoteOf(flags)
    const history = remote ? await import('../cli/remote/history.js') : undefined
    const record = remote && history ? await history.remoteRecord(remote, args.run) : await readRunRecord(config.runsDir, await resolveRunId(config.runsDir, args.run))
    const id = record.id
    const unknown = (flags.job ?? []).filter((job) => !Object.hasOwn(record.jobs, job))
    if (unknown.length > 0) {
      throw new OrcaError('usage', `run ${id} has no job ${unknown.map((j) => `"${j}"`).join(', ')}`, {hint: `its jobs: ${Object.keys(record.jobs).join(', ') || 'none'}`})
    }
    const jobs = flags.job ?? Object.keys(record.jobs).filter((job) => (record.jobs[job]!.artifacts?.count ?? 0) > 0)
    const written =
      remote && history
        ? await history.downloadArtifacts(remote, downloadsOf(record.id), record, jobs)
        : await materialiseRun({runsDir: config.runsDir, cacheDir: config.cacheDir, record, jobs})
    for (const done of written) {
      const what = done.files === 0 ? 'no artifacts' : `${done.files} artifact${done.files === 1 ? '' : 's'}${done.written ? '' : ', already there'}`
      process.stdout.write(`${done.job}: ${what}${done.files === 0 ? '' : ` in ${done.dir}`}\n`)
    }
  }
}

/** Where a run of a server has its artifacts downloaded: `.orca/downloads/<run-id>/` in this project. */
function downloadsOf(id: string): string {
  const {projectDir} = locateProject({cwd: process.cwd(), stderr: {write: () => true}, needsJobsFile: false})
  return path.join(projectDir, '.orca', 'downloads', id)
}
