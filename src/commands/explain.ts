import {Args} from '@oclif/core'

import {OrcaCommand} from '../cli/base.js'
import {oclifFlags} from '../cli/flags/oclif.js'
import {explainFlags} from '../cli/flags/explain.js'
import {parseEnvFlags} from '../cli/env-values.js'

export default class Explain extends OrcaCommand {
  static override summary = "Say why a job's cache key differs from the key it was last cached under, or which files are its inputs."

  static override description = `Computes JOB's key as \`orca run JOB\` would (its definition, image ID, input files and the keys of the jobs it needs) without running anything, and compares it with the last key the job was cached under: which input files were added, removed or changed, which env values or definition fields changed, whether the image resolves to another ID, and which needed job's key changed (explained in turn). Docker is asked only for image IDs.

With --inputs, lists the files JOB's container gets instead (in a git work tree: the files git tracks and untracked files it does not ignore, narrowed by .orcaignore and the job's \`inputs\` globs); with --why PATH, says whether PATH is one of them and why: tracked by git, untracked and not ignored, ignored by a .gitignore line, not matched by the job's globs, or one of orca's own files. Neither needs Docker.

Exit codes: 0 explained, 2 unknown job or invalid jobs.yml.`

  static override examples = [
    {description: 'Why does build run again?', command: '<%= config.bin %> <%= command.id %> build'},
    {description: 'With the overrides a run would get', command: '<%= config.bin %> <%= command.id %> test -e NODE_ENV=test'},
    {description: 'Machine-readable', command: '<%= config.bin %> <%= command.id %> build --json'},
    {description: 'Which files does build get?', command: '<%= config.bin %> <%= command.id %> build --inputs'},
    {description: 'Why is this file (not) an input of build?', command: '<%= config.bin %> <%= command.id %> build --why deps/jemalloc/configure'},
  ]

  static override args = {
    job: Args.string({description: 'the job to explain', required: true}),
  }

  static override flags = oclifFlags(explainFlags)

  public async run(): Promise<void> {
    const {args, flags} = await this.parse(Explain)
    const {locateProject, noticesTo} = await import('../cli/project.js')
    const request = {
      ...locateProject({cwd: process.cwd(), file: flags.file, stderr: process.stderr, needsJobsFile: true}),
      env: process.env,
      job: args.job,
      envOverrides: parseEnvFlags(flags.env ?? []),
      onNotice: noticesTo(process.stderr),
    }
    if (flags.inputs || flags.why !== undefined) {
      const [{explainTargetInputs}, {formatInputsReport}] = await Promise.all([
        import('../engine/cache/explain-target.js'),
        import('../views/cache/inputs-report.js'),
      ])
      const report = await explainTargetInputs(request, {list: flags.inputs === true, paths: flags.why ?? []})
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatInputsReport(report))
      return
    }
    const [{explainTarget}, {formatExplanation}] = await Promise.all([
      import('../engine/cache/explain-target.js'),
      import('../views/cache/explanation.js'),
    ])
    const explanation = await explainTarget(request)
    process.stdout.write(flags.json ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation))
  }
}
