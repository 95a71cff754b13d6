import {Args, Flags} from '@oclif/core'

import {OrcaCommand} from '../cli/base.js'
import {envFlag} from '../cli/env-flags.js'
import {OUTPUT_MODES, type OutputMode} from '../cli/run-argv.js'
import {CLEANUP_POLICIES, type CleanupPolicy} from '../engine/pipeline/types.js'

export default class Run extends OrcaCommand {
  static override summary = 'Run jobs and everything they need, each in a throwaway container.'

  static override description = `Reads jobs.yml, selects the TARGETS and the jobs they need (no target = every job), and runs them in parallel up to --concurrency. Each job gets one fresh container; its steps run in order with \`sh -c\`. Artifacts, logs and events are written under the run directory (.orca/runs/<run-id>/).

Exit codes: 0 every target succeeded, 1 a job failed or timed out, 2 invalid jobs.yml or usage, 3 Docker unreachable or an image missing, 130 cancelled.`

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
    targets: Args.string({description: 'jobs to run (with everything they need); default: every job', required: false}),
  }

  static override flags = {
    file: Flags.string({char: 'f', description: 'pipeline file', default: 'jobs.yml'}),
    concurrency: Flags.integer({char: 'j', description: 'jobs run at once (default: config, else number of CPUs)', min: 1}),
    'no-cache': Flags.boolean({description: 'run every job even when its key is cached'}),
    'dry-run': Flags.boolean({description: 'print the plan and run nothing'}),
    inputs: Flags.boolean({description: "with --dry-run, also list each job's input files", dependsOn: ['dry-run']}),
    'fail-fast': Flags.boolean({description: 'cancel running jobs and skip pending ones after the first failure'}),
    output: Flags.string({description: 'how progress is shown', options: [...OUTPUT_MODES], default: 'auto'}),
    junit: Flags.string({description: 'also write a JUnit XML report to FILE (a testsuite per job, a testcase per step)', helpValue: 'FILE'}),
    cleanup: Flags.string({description: 'cleanup policy for every job of this run', options: [...CLEANUP_POLICIES]}),
    env: envFlag('set an environment variable in every job (repeatable)'),
  }

  // bin/run.js parses plain invocations itself (src/cli/fast-run.ts); oclif gets help and usage errors.
  public async run(): Promise<void> {
    const {argv, flags} = await this.parse(Run)
    const {runCommand} = await import('../cli/run-pipeline.js')
    const exitCode = await runCommand(
      {
        targets: argv as string[],
        file: flags.file,
        concurrency: flags.concurrency,
        noCache: flags['no-cache'],
        dryRun: flags['dry-run'],
        inputs: flags.inputs,
        failFast: flags['fail-fast'],
        output: flags.output as OutputMode,
        junit: flags.junit,
        cleanup: flags.cleanup as CleanupPolicy | undefined,
        env: flags.env ?? [],
      },
      this.config.version,
    )
    if (exitCode !== 0) this.exit(exitCode)
  }
}
