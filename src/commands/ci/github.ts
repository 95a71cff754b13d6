import {Args} from '@oclif/core'

import {OrcaCommand} from '../../cli/base.js'
import {ciGithubFlags} from '../../cli/flags/ci.js'
import {oclifFlags} from '../../cli/flags/oclif.js'

export default class CiGithub extends OrcaCommand {
  static override summary = 'Write a GitHub Actions workflow that runs each job of jobs.yml as a job of its own.'

  static override description = `Fans the pipeline out over GitHub's runners: one workflow job per orca job (a matrix expansion is a job of its own; --group JOB runs a job and its needs together), whose needs: are the jobs it needs in jobs.yml. Each workflow job installs orca and runs \`orca run JOB --needs-from-cache\`: the jobs it needs are restored from orca's cache, which the workflow jobs before it filled (through actions/cache, or orca's remote cache with --cache remote). Jobs with when: always and when: on_failure keep their meaning (if: !cancelled() and if: failure()); every job uploads its run directory, a failed job's artifacts included, even when it fails. See docs/ci.md.

--check writes nothing and exits 1, saying which workflow jobs differ, when the file is not what jobs.yml gives now: for a pre-commit hook or a CI step.

Exit codes: 0 written or up to date, 1 out of date (--check), 2 invalid jobs.yml, an unknown target or group, or a file orca ci did not write (without --force).`

  static override examples = [
    {description: 'Write .github/workflows/orca.yml for every job', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Only what the ci job needs, with lint and its needs in one workflow job', command: '<%= config.bin %> <%= command.id %> ci --group lint'},
    {description: 'Is the committed workflow still what jobs.yml gives?', command: '<%= config.bin %> <%= command.id %> --check'},
    {description: "Results through orca's remote cache, its credentials from repository secrets", command: '<%= config.bin %> <%= command.id %> --cache remote --secret ORCA_CACHE_TOKEN'},
  ]

  static override strict = false

  static override args = {
    targets: Args.string({description: 'jobs to export (with everything they need); default: every job', required: false, ignoreStdin: true}),
  }

  static override flags = oclifFlags(ciGithubFlags)

  public async run(): Promise<void> {
    const [{argv, flags}, {ciExportCommand}] = await Promise.all([this.parse(CiGithub), import('../../cli/ci-export.js')])
    const code = await ciExportCommand('github', argv as string[], flags)
    if (code !== 0) this.exit(code)
  }
}
