import {Args} from '@oclif/core'

import {OrcaCommand} from '../cli/base.js'
import {oclifFlags} from '../cli/flags/oclif.js'
import {shellFlags} from '../cli/flags/shell.js'

export default class Shell extends OrcaCommand {
  static override summary = "Open a shell in a finished job's kept container, as the job left it."

  static override description = `Starts the container a cleanup policy kept for JOB of RUN (with the filesystem the job ended with) and opens a shell in it, in the job's workdir with its environment (secrets from orca's environment, as orca run gives them); the container is stopped again when the shell exits, and stays kept. When no container was kept, a fresh one from the job's image gets the job's inputs (as they are now) and its needs' artifacts from that run, and is removed afterwards. RUN is a run id, a unique prefix of one, or "latest" (the default when only JOB is given). With -- COMMAND..., runs that command instead (no terminal needed) and exits with its exit code.

With --server URL (or ORCA_SERVER when the only argument is a sandbox id), opens a terminal in a sandbox of that orca serve instead: the one argument is the sandbox id, the token comes from ORCA_TOKEN (sent as a header, never in the URL), and the local terminal is relayed over a WebSocket in raw mode.

Exit codes: the shell's or the command's; 2 unknown run, job or sandbox, or no terminal for a shell; 3 Docker or the server unreachable.`

  static override examples = [
    {description: 'A shell in the kept container of job test in the latest run', command: '<%= config.bin %> <%= command.id %> test'},
    {description: 'In a given run', command: '<%= config.bin %> <%= command.id %> 20261129T1600 test'},
    {description: 'One command, from a script', command: '<%= config.bin %> <%= command.id %> latest test -- cat /workspace/out.txt'},
    {description: 'A terminal in a sandbox of a server', command: 'ORCA_TOKEN=... <%= config.bin %> <%= command.id %> --server http://127.0.0.1:7070 sb-0123456789abcdef'},
  ]

  static override strict = false

  static override args = {
    run: Args.string({description: 'run id, unique prefix, or "latest"; with one argument, it is JOB in the latest run; with --server, the sandbox id', required: true}),
    job: Args.string({description: 'the job whose kept container to open', required: false}),
  }

  static override flags = oclifFlags(shellFlags)

  public async run(): Promise<void> {
    const dash = this.argv.indexOf('--')
    const command = dash === -1 ? undefined : this.argv.slice(dash + 1)
    const {args, flags} = await this.parse(Shell, dash === -1 ? this.argv : this.argv.slice(0, dash))
    const server = flags.server ?? (args.job === undefined && /^sb-[0-9a-f]{16}$/.test(args.run) && process.env.ORCA_SERVER ? process.env.ORCA_SERVER : undefined)
    if (server !== undefined) {
      const {remoteShell, sandboxServerOf} = await import('../cli/sandbox-remote.js')
      if (args.job !== undefined || command !== undefined) this.error('with --server, give only the sandbox id (run one command over HTTP: POST /v1/sandboxes/ID/exec)', {exit: 2})
      const code = await remoteShell(sandboxServerOf(server, process.env), args.run, {stdin: process.stdin, stdout: process.stdout})
      if (code !== 0) this.exit(code)
      return
    }
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
