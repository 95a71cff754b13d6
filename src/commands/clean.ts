import * as path from 'node:path'

import {OrcaCommand} from '../cli/base.js'
import {oclifFlags} from '../cli/flags/oclif.js'
import {cleanFlags} from '../cli/flags/clean.js'
import type {FlagValues} from '../cli/flags/table.js'
import {parseDuration} from '../engine/duration.js'
import {OrcaError} from '../engine/errors.js'
import type {CleanItem, CleanSelection} from '../engine/maintenance/clean.js'
import {isCi} from '../views/run/ci-environment.js'

export default class Clean extends OrcaCommand {
  static override summary = 'Remove what orca left behind: leaked or kept containers, volumes, old runs, the cache, built images.'

  static override description = `Maintenance, one task per flag, with progress:
  --leaks    containers and networks of runs that are no longer alive (orca was killed or crashed) and that no cleanup policy keeps; the default when no flag is given
  --kept     containers kept by a cleanup policy (and the images holding their filesystems)
  --volumes  the named volumes of jobs (package caches and the like)
  --runs     recorded runs under the runs directory, all finished ones or those started more than --older-than ago; live runs are never removed
  --cache    every cache entry
  --images   images built from the project (image: {build}) that no cache entry and no recorded run uses; run after --cache or --runs to let go of what they kept

Only what orca labelled (orca.managed=true) or wrote under its runs and cache directories is touched. Docker resources are those of this project (the folder holding jobs.yml, found as orca run finds it, or the folder of -f FILE; every resource orca creates is labelled with its project) unless --all-projects is given: one engine is often shared by many projects. A run counts as alive while its lock says so (see docs/history.md): the containers of a run another orca process is running are never leaks. --dry-run lists what would be removed and removes nothing.

Exit codes: 0 done, 2 usage error, 3 Docker unreachable or a removal failed.`

  static override examples = [
    {description: 'Remove leaked containers after orca was killed', command: '<%= config.bin %> <%= command.id %> --leaks'},
    {description: 'See what would go, without removing anything', command: '<%= config.bin %> <%= command.id %> --leaks --kept --dry-run'},
    {description: 'Remove containers kept for debugging', command: '<%= config.bin %> <%= command.id %> --kept'},
    {description: "See every project's leaks on this engine, not only this one's", command: '<%= config.bin %> <%= command.id %> --leaks --all-projects --dry-run'},
    {description: 'Forget runs older than a week', command: '<%= config.bin %> <%= command.id %> --runs --older-than 7d'},
    {description: 'Start over: cache, kept containers and every finished run', command: '<%= config.bin %> <%= command.id %> --cache --kept --runs'},
  ]

  static override flags = oclifFlags(cleanFlags)

  public async run(): Promise<void> {
    const {flags} = await this.parse(Clean)
    const selection = parseSelection(flags)
    const dryRun = flags['dry-run'] === true
    const [{locateProject}, {loadConfig}, {cleanTasks}, {projectIdentity}, {Listr}] = await Promise.all([
      import('../cli/project.js'),
      import('../engine/config/load.js'),
      import('../engine/maintenance/clean.js'),
      import('../engine/project-identity.js'),
      import('listr2'),
    ])
    const project = locateProject({cwd: process.cwd(), file: flags.file, stderr: process.stderr, needsJobsFile: false})
    const config = await loadConfig({cwd: project.cwd, projectDir: project.projectDir, env: process.env})
    // The project a run labels its resources with is the folder of its jobs file (Pipeline.projectDir).
    const projectDir = path.dirname(path.resolve(project.cwd, project.file))
    const tasks = cleanTasks(selection, {
      runsDir: config.runsDir,
      cacheDir: config.cacheDir,
      scope: flags['all-projects'] ? {allProjects: true} : {projectId: projectIdentity(projectDir).id},
      docker: async () => {
        const {connectDocker} = await import('../engine/executor/docker/connect.js')
        return connectDocker({host: config.docker.host, env: process.env})
      },
    })

    const found: Array<{task: string; item: CleanItem}> = []
    const interactive = process.stdout.isTTY === true && !isCi(process.env)
    const list = new Listr(
      tasks.map((t) => ({
        title: t.title,
        task: async (_ctx: unknown, task: {title: string}) => {
          const items = await t.run({dryRun, onItem: (item) => found.push({task: t.key, item})})
          const done = items.filter((i) => i.skipped === undefined).length
          task.title = `${t.title}: ${done === 0 ? 'nothing to remove' : `${dryRun ? 'would remove' : 'removed'} ${done}`}`
        },
      })),
      {renderer: interactive ? 'default' : 'simple', exitOnError: false, concurrent: false, rendererOptions: {}},
    )
    await list.run()

    for (const {item} of found) {
      const verb = item.skipped ? `kept ${item.kind}` : `${dryRun ? 'would remove' : 'removed'} ${item.kind}`
      process.stdout.write(`${verb} ${item.name}${item.detail ? ` (${item.detail})` : ''}${item.skipped ? `: ${item.skipped}` : ''}\n`)
    }
    const error = list.errors[0]?.error
    if (error) throw error instanceof OrcaError ? error : new OrcaError('infra', `clean failed: ${error.message}`, {cause: error})
  }
}

function parseSelection(flags: FlagValues<typeof cleanFlags>): CleanSelection {
  let olderThanMs = 0
  if (flags['older-than'] !== undefined) {
    const parsed = parseDuration(flags['older-than'])
    if (parsed === undefined) throw new OrcaError('usage', `--older-than expects a duration like 7d, 12h or 30m, got "${flags['older-than']}"`)
    olderThanMs = parsed
  }
  const selection: CleanSelection = {
    leaks: flags.leaks === true,
    kept: flags.kept === true,
    volumes: flags.volumes === true,
    cache: flags.cache === true,
    images: flags.images === true,
    ...(flags.runs ? {runs: {olderThanMs}} : {}),
  }
  // Nothing asked for: leaks are the one thing always safe to remove.
  if (!flags.leaks && !flags.kept && !flags.volumes && !flags.runs && !flags.cache && !flags.images) selection.leaks = true
  // Whether a built image is still needed is told by this project's cache and runs only.
  if (flags['all-projects'] && selection.images) throw new OrcaError('usage', "--images cleans this project's built images only: whether one is still needed is known from this project's cache and runs")
  // Runs and the cache live in this project's folders whatever the flag says: refuse to pretend otherwise.
  if (flags['all-projects'] && !selection.leaks && !selection.kept && !selection.volumes) {
    throw new OrcaError('usage', '--all-projects applies to --leaks, --kept and --volumes (runs and the cache belong to the runs and cache directories of this project)')
  }
  return selection
}
