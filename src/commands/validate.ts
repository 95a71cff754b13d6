import {OrcaCommand} from '../cli/base.js'
import {oclifFlags} from '../cli/flags/oclif.js'
import {validateFlags} from '../cli/flags/validate.js'

export default class Validate extends OrcaCommand {
  static override summary = 'Check jobs.yml and the configuration, printing every problem with its position.'

  static override description = `Parses jobs.yml and orca's configuration (orca.config.yml, .orcarc*, or "orca" in package.json, plus ORCA_* variables) and checks them against their schemas and the rules beyond them: every job in needs exists, needs form no cycle, every job with steps has an image, input and artifact globs stay inside the project, matrices expand into distinct job names, conditions parse and name only what their job offers. A valid pipeline's matrices are listed with each expansion's job name and display name, and its conditions after them; a job with docker: true (the host's Docker engine) is marked. Every problem is printed on its own line as file:line:column path: message. Nothing is run and Docker is not contacted.

Exit codes: 0 valid, 2 invalid.`

  static override examples = [
    {description: 'Check ./jobs.yml', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Check another pipeline file', command: '<%= config.bin %> <%= command.id %> -f ci/jobs.yml'},
    {description: 'Use in a pre-commit hook or CI step: fails with exit code 2 on any problem', command: '<%= config.bin %> <%= command.id %> || exit 1'},
    {description: 'Check with a default image from the environment', command: 'ORCA_DEFAULT_IMAGE=busybox:1.36 <%= config.bin %> <%= command.id %>'},
  ]

  static override flags = oclifFlags(validateFlags)

  public async run(): Promise<void> {
    const {flags} = await this.parse(Validate)
    const [{locateProject}, {loadConfig}, {loadPipeline}, {expansionSummary, dockerJobLines}] = await Promise.all([
      import('../cli/project.js'),
      import('../engine/config/load.js'),
      import('../engine/pipeline/load.js'),
      import('../engine/pipeline/summary.js'),
    ])
    const {cwd, projectDir, file} = locateProject({cwd: process.cwd(), file: flags.file, stderr: process.stderr, needsJobsFile: true})
    const config = await loadConfig({cwd, projectDir, env: process.env})
    const pipeline = await loadPipeline(file, {cwd, defaults: config.defaults})
    const jobs = pipeline.jobs.size
    const edges = [...pipeline.jobs.values()].reduce((sum, job) => sum + job.needs.length, 0)
    process.stdout.write(`${file}: ${plural(jobs, 'job')}, ${plural(edges, 'edge')}, valid\n`)
    for (const line of [...expansionSummary(pipeline), ...dockerJobLines(pipeline.jobs.values())]) process.stdout.write(`${line}\n`)
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
