import {Args} from '@oclif/core'

import {OrcaCommand} from '../cli/base.js'
import {oclifFlags} from '../cli/flags/oclif.js'
import {explainFlags} from '../cli/flags/explain.js'
import {parseEnvFlags} from '../cli/env-values.js'

export default class Explain extends OrcaCommand {
  static override summary = "Say why a job's cache key differs from the key it was last cached under."

  static override description = `Computes JOB's key as \`orca run JOB\` would (its definition, image ID, input files and the keys of the jobs it needs) without running anything, and compares it with the last key the job was cached under: which input files were added, removed or changed, which env values or definition fields changed, whether the image resolves to another ID, and which needed job's key changed (explained in turn). Docker is asked only for image IDs.

Exit codes: 0 explained, 2 unknown job or invalid jobs.yml.`

  static override examples = [
    {description: 'Why does build run again?', command: '<%= config.bin %> <%= command.id %> build'},
    {description: 'With the overrides a run would get', command: '<%= config.bin %> <%= command.id %> test -e NODE_ENV=test'},
    {description: 'Machine-readable', command: '<%= config.bin %> <%= command.id %> build --json'},
  ]

  static override args = {
    job: Args.string({description: 'the job to explain', required: true}),
  }

  static override flags = oclifFlags(explainFlags)

  public async run(): Promise<void> {
    const {args, flags} = await this.parse(Explain)
    const [{locateProject}, {explainTarget}, {formatExplanation}] = await Promise.all([
      import('../cli/project.js'),
      import('../engine/cache/explain-target.js'),
      import('../engine/cache/explain.js'),
    ])
    const explanation = await explainTarget({
      ...locateProject({cwd: process.cwd(), file: flags.file, stderr: process.stderr, needsJobsFile: true}),
      env: process.env,
      job: args.job,
      envOverrides: parseEnvFlags(flags.env ?? []),
    })
    process.stdout.write(flags.json ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation))
  }
}
