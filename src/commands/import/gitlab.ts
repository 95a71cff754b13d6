import {Args} from '@oclif/core'

import {OrcaCommand} from '../../cli/base.js'
import {importFlags} from '../../cli/flags/import.js'
import {oclifFlags} from '../../cli/flags/oclif.js'

export default class ImportGitlab extends OrcaCommand {
  static override summary = 'Write a jobs.yml from a GitLab CI pipeline, with a report of what came over.'

  static override description = `Translates the jobs of .gitlab-ci.yml (or FILE) and the files it includes with include: local into one jobs.yml: stages (as needs), needs and dependencies, rules:, only/except and when: (as when: and if:), parallel and parallel: matrix, image, services (ready when their port listens), variables, timeout, retry, allow_failure, artifacts and their junit reports, caches (as named volumes), extends, default:, YAML anchors and !reference tags. before_script and script run in one shell, as in GitLab; after_script runs after them whatever happened. GitLab's predefined variables are set where orca knows their value (CI_PROJECT_DIR, CI_JOB_NAME…) and passed through from the environment otherwise. See docs/migrating.md.

The report (on stderr, or stdout with -o) lists every construct as translated, approximated or dropped, with its file, line and column, and why. The written file is checked as orca validate checks it.

Exit codes: 0 written, 1 the written file does not validate or (--strict) something was dropped, 2 a pipeline file that cannot be read or parsed, or -o FILE exists (without --force).`

  static override examples = [
    {description: 'Migrate a plain pipeline and run it', command: '<%= config.bin %> <%= command.id %> -o jobs.yml && <%= config.bin %> run'},
    {description: 'Print the jobs.yml of another file, the report on stderr', command: '<%= config.bin %> <%= command.id %> ci/pipeline.yml'},
    {description: 'Fail when anything could not be translated', command: '<%= config.bin %> <%= command.id %> -o jobs.yml --force --strict'},
    {description: 'Jobs without an image get this one', command: '<%= config.bin %> <%= command.id %> --image alpine:3.20 -o jobs.yml'},
  ]

  static override args = {
    file: Args.string({description: 'the pipeline file (default: .gitlab-ci.yml)', required: false, ignoreStdin: true}),
  }

  static override flags = oclifFlags(importFlags)

  public async run(): Promise<void> {
    const [{args, flags}, {importCommand}] = await Promise.all([this.parse(ImportGitlab), import('../../cli/import.js')])
    const code = await importCommand('gitlab', args.file === undefined ? [] : [args.file], flags)
    if (code !== 0) this.exit(code)
  }
}
