import {OrcaCommand} from '../cli/base.js'
import {oclifFlags} from '../cli/flags/oclif.js'
import {initFlags} from '../cli/flags/init.js'

export default class Init extends OrcaCommand {
  static override summary = 'Write a starter jobs.yml and orca.config.yml for the project in this folder.'

  static override description = `Looks at the folder (package.json, pyproject.toml, go.mod, Cargo.toml, Makefile; else a small example) and writes a jobs.yml with jobs that fit it — each with the inputs that make caching work, shared package caches as named volumes, and a group job \`ci\` that needs them all — plus an orca.config.yml. The files come from the templates shipped with orca and are checked before they are written.

--ci github writes .github/workflows/orca.yml and --ci gitlab writes .gitlab-ci.yml: both install orca, keep .orca/cache between CI runs and run \`orca run ci\`. --pre-commit installs a git pre-commit hook that runs the same jobs (fast when nothing changed). With --ci or --pre-commit, an existing jobs.yml and orca.config.yml are kept.

Nothing that exists is overwritten without --force; when a file is in the way, nothing is written at all.

Exit codes: 0 files written, 2 a file exists, not a git repository (--pre-commit), or an unknown --target.`

  static override examples = [
    {description: 'Write jobs.yml and orca.config.yml for the project here', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Then run the pipeline twice: the second run comes from the cache', command: '<%= config.bin %> run ci && <%= config.bin %> run ci'},
    {description: 'Add a GitHub Actions workflow to an existing setup', command: '<%= config.bin %> <%= command.id %> --ci github'},
    {description: 'Everything at once: pipeline, GitLab CI job and a pre-commit hook running the test job', command: '<%= config.bin %> <%= command.id %> --ci gitlab --pre-commit --target test'},
    {description: 'Use your own image for every job (e.g. one your registry mirrors)', command: '<%= config.bin %> <%= command.id %> --image registry.example.com/node:20'},
    {description: 'Start over, replacing the files written before', command: '<%= config.bin %> <%= command.id %> --force'},
  ]

  static override flags = oclifFlags(initFlags)

  public async run(): Promise<void> {
    const {flags} = await this.parse(Init)
    const {initProject} = await import('../engine/init/init.js')
    const result = await initProject({
      dir: process.cwd(),
      force: flags.force,
      kind: flags.kind,
      image: flags.image,
      ci: flags.ci,
      preCommit: flags['pre-commit'],
      targets: flags.target,
      jobsFile: flags.file,
    })
    const out: string[] = []
    out.push(`${result.facts.kind} project${result.jobs.length > 0 ? `: jobs ${result.jobs.join(', ')}` : ''}`)
    for (const path of result.written) out.push(`wrote ${path}`)
    for (const path of result.kept) out.push(`kept ${path} (exists)`)
    out.push('', `next: ${result.next}`, '      (run it twice: the second run takes its results from the cache)')
    process.stdout.write(`${out.join('\n')}\n`)
    for (const note of result.notes) process.stderr.write(`note: ${note}\n`)
  }
}
