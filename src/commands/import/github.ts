import {Args} from '@oclif/core'

import {OrcaCommand} from '../../cli/base.js'
import {importFlags} from '../../cli/flags/import.js'
import {oclifFlags} from '../../cli/flags/oclif.js'

export default class ImportGithub extends OrcaCommand {
  static override summary = 'Write a jobs.yml from GitHub Actions workflows, with a report of what came over.'

  static override description = `Translates the jobs of the workflows (default: every .github/workflows/*.yml) into one jobs.yml: needs, if: (as when: and if:), strategy.matrix, container: and services:, env, timeouts, continue-on-error, outputs, and the steps' run: lines with their shell, working-directory and \${{ }} expressions. Known actions are mapped: actions/checkout (nothing, or git: with fetch-depth), setup-node/python/go/java/… (the job's image), actions/cache (named volumes), upload-artifact and download-artifact (artifacts and needs). Other actions become a comment. Jobs on macOS and Windows runners run on the host (runs-on: host). See docs/migrating.md.

The report (on stderr, or stdout with -o) lists every construct as translated, approximated or dropped, with its file, line and column, and why. The written file is checked as orca validate checks it.

Exit codes: 0 written, 1 the written file does not validate or (--strict) something was dropped, 2 a workflow file that cannot be read or parsed, or -o FILE exists (without --force).`

  static override examples = [
    {description: 'Print the jobs.yml of every workflow, the report on stderr', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Write jobs.yml from one workflow and run it', command: '<%= config.bin %> <%= command.id %> .github/workflows/ci.yml -o jobs.yml && <%= config.bin %> run'},
    {description: 'Fail when anything could not be translated (for a migration check in CI)', command: '<%= config.bin %> <%= command.id %> -o jobs.yml --force --strict'},
    {description: 'The report as JSON', command: '<%= config.bin %> <%= command.id %> -o jobs.yml --json'},
  ]

  static override strict = false

  static override args = {
    files: Args.string({description: 'workflow files (default: every .github/workflows/*.yml)', required: false, ignoreStdin: true}),
  }

  static override flags = oclifFlags(importFlags)

  public async run(): Promise<void> {
    const [{argv, flags}, {importCommand}] = await Promise.all([this.parse(ImportGithub), import('../../cli/import.js')])
    const code = await importCommand('github', argv as string[], flags)
    if (code !== 0) this.exit(code)
  }
}
