import {Args} from '@oclif/core'

import {OrcaCommand} from '../../cli/base.js'
import {oclifFlags} from '../../cli/flags/oclif.js'
import {sandboxForwardFlags} from '../../cli/flags/sandbox.js'

export default class SandboxForward extends OrcaCommand {
  static override summary = "Forward a local TCP port to a port of a sandbox of an orca serve."

  static override description = `Listens on a local port (PORT:LOCAL_PORT, or the same port as the sandbox's); each connection to it is relayed over a WebSocket to the server, which connects to the port on the sandbox's address on its network, as ssh -L does. The sandbox needs a network (network: none has no address to connect to). Runs until interrupted (Ctrl-C). The token comes from ORCA_TOKEN.

Exit codes: 0 stopped by Ctrl-C, 2 usage error (no server, bad port, local port in use).`

  static override examples = [
    {description: "The sandbox's port 8080 on local port 8080", command: '<%= config.bin %> <%= command.id %> --server http://127.0.0.1:7070 sb-0123456789abcdef 8080'},
    {description: 'On local port 9000', command: '<%= config.bin %> <%= command.id %> --server http://127.0.0.1:7070 sb-0123456789abcdef 8080:9000'},
  ]

  static override args = {
    sandbox: Args.string({description: 'the sandbox id', required: true}),
    ports: Args.string({description: "PORT or PORT:LOCAL_PORT (LOCAL_PORT 0 = any free port, printed)", required: true}),
  }

  static override flags = oclifFlags(sandboxForwardFlags)

  public async run(): Promise<void> {
    const {args, flags} = await this.parse(SandboxForward)
    const {forwardPort, parsePortSpec, sandboxServerOf} = await import('../../cli/sandbox-remote.js')
    const server = sandboxServerOf(flags.server, process.env)
    const {port, localPort} = parsePortSpec(args.ports)
    const forward = await forwardPort(server, {sandbox: args.sandbox, port, localPort, address: flags.address}, (message) => process.stderr.write(`${message}\n`))
    process.stdout.write(`orca: forwarding ${forward.address} to port ${port} of sandbox ${args.sandbox}\n`)
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        void forward.close().then(resolve)
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
  }
}
