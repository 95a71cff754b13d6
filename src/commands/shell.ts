import {Args} from '@oclif/core'

import {OrcaCommand} from '../cli/base.js'
import {oclifFlags} from '../cli/flags/oclif.js'
import {shellFlags} from '../cli/flags/shell.js'

export default class Shell extends OrcaCommand {
  static override summary = "Open a shell in a finished job's kept container, as the job left it."

  static override description = `Starts the container a cleanup policy kept for JOB of RUN (with the filesystem the job ended with) and opens a shell in it, in the job's workdir with its environment (secrets from orca's environment, as orca run gives them); the container is stopped again when the shell exits, and stays kept. When no container was kept, a fresh one from the job's image gets the job's inputs (as they are now) and its needs' artifacts from that run, and is removed afterwards. RUN is a run id, a unique prefix of one, or "latest" (the default when only JOB is given). With -- COMMAND..., runs that command instead (no terminal needed) and exits with its exit code.

Exit codes: the shell's or the command's; 2 unknown run or job, or no terminal for a shell; 3 Docker unreachable.`

  static override examples = [
    {description: 'A shell in the kept container of job test in the latest run', command: '<%= config.bin %> <%= command.id %> test'},
    {description: 'In a given run', command: '<%= config.bin %> <%= command.id %> 20261129T1600 test'},
    {description: 'One command, from a script', command: '<%= config.bin %> <%= command.id %> latest test -- cat /workspace/out.txt'},
  ]

  static override strict = false

  static override args = {
    run: Args.string({description: 'run id, unique prefix, or "latest"; with one argument, it is JOB in the latest run', required: true}),
    job: Args.string({description: 'the job whose kept container to open', required: false}),
  }

  static override flags = oclifFlags(shellFlags)

  public async run(): Promise<void> {
    const dash = this.argv.indexOf('--')
    const command = dash === -1 ? undefined : this.argv.slice(dash + 1)
    const {args, flags} = await this.parse(Shell, dash === -1 ? this.argv : this.argv.slice(0, dash))
    const {jobShell} = await import('../cli/job-shell.js')
    const code = await jobShell({
      run: args.job === undefined ? 'latest' : args.run,
      job: args.job ?? args.run,
      ...(command === undefined || command.length === 0 ? {} : {command}),
      ...(flags.file === undefined ? {} : {file: flags.file}),
    })
    if (code !== 0) this.exit(code)
  }
}
