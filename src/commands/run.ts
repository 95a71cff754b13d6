import {Args} from '@oclif/core'

import {OrcaCommand} from '../cli/base.js'
import {oclifFlags} from '../cli/flags/oclif.js'
import {runFlags} from '../cli/flags/run.js'
import {runArgsFromOclif} from '../cli/run-argv.js'

export default class Run extends OrcaCommand {
  static override summary = 'Run jobs and everything they need, each in a throwaway container.'

  static override description = `Reads jobs.yml, selects the TARGETS and the jobs they need (no target = every job), and runs them in parallel up to --concurrency. Each job gets one fresh container; its steps run in order with \`sh -e -c\` (a step stops at its first failing command), or with the shell its \`shell:\` names. Artifacts, logs and events are written under the run directory (.orca/runs/<run-id>/).

Exit codes: 0 every target succeeded, 1 a job failed or timed out (its image's build included), 2 invalid jobs.yml or usage, 3 infrastructure error: Docker unreachable, or the only failures are jobs whose image is missing (the others ran), 130 cancelled.`

  static override examples = [
    {description: 'Run every job in ./jobs.yml', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Run one target and the jobs it needs', command: '<%= config.bin %> <%= command.id %> build-and-test'},
    {description: 'Use another file, four jobs at a time, stop at the first failure', command: '<%= config.bin %> <%= command.id %> -f ci/jobs.yml -j 4 --fail-fast'},
    {description: 'Show what would run, and the files each job would get', command: '<%= config.bin %> <%= command.id %> --dry-run --inputs'},
    {description: 'Machine-readable events on stdout', command: '<%= config.bin %> <%= command.id %> test --output json > events.ndjson'},
    {description: 'Write a JUnit report for the CI to show', command: '<%= config.bin %> <%= command.id %> --junit reports/orca.xml'},
    {description: 'Keep failed containers around for debugging', command: '<%= config.bin %> <%= command.id %> --cleanup remove_on_completion'},
    {description: 'Override an environment variable for every job', command: '<%= config.bin %> <%= command.id %> -e NODE_ENV=test'},
  ]

  static override strict = false

  static override args = {
    // Piped stdin is not a target (a git pre-push hook gets its refs there), as on the fast start.
    targets: Args.string({description: 'jobs to run (with everything they need); default: every job', required: false, ignoreStdin: true}),
  }

  static override flags = oclifFlags(runFlags)

  // bin/run.cjs parses plain invocations itself (src/cli/fast-run.ts); oclif gets help and usage errors.
  public async run(): Promise<void> {
    const [parsed, {runCommand}] = await Promise.all([this.parse(Run), import('../cli/run-pipeline.js')])
    const exitCode = await runCommand(runArgsFromOclif(parsed), this.config.version)
    if (exitCode !== 0) this.exit(exitCode)
  }
}
