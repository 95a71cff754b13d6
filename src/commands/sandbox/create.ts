import {Args} from '@oclif/core'

import {OrcaCommand} from '../../cli/base.js'
import {oclifFlags} from '../../cli/flags/oclif.js'
import {sandboxCreateFlags} from '../../cli/flags/sandbox.js'

export default class SandboxCreate extends OrcaCommand {
  static override summary = 'Make a sandbox on an orca serve and print its id.'

  static override description = `Makes a long-lived sandbox from IMAGE (one the server's serve.sandboxes.images allows) that lives until its time-to-live ends (extend it with POST /v1/sandboxes/ID/touch) or it is removed with orca sandbox rm. Prints its id, for scripts (--json: the whole sandbox).

Exit codes: 0 made, 2 refused (image not allowed, too many sandboxes, bad flags), 3 the server or its Docker engine unreachable.`

  static override examples = [
    {description: 'A sandbox for half an hour', command: 'ID=$(<%= config.bin %> <%= command.id %> --server http://127.0.0.1:7070 --ttl 30m busybox:1.36)'},
  ]

  static override args = {
    image: Args.string({description: 'the image, exactly as the server lists it', required: true}),
  }

  static override flags = oclifFlags(sandboxCreateFlags)

  public async run(): Promise<void> {
    const {args, flags} = await this.parse(SandboxCreate)
    const [{sandboxJson, sandboxServerOf}, {parseEnvFlags}] = await Promise.all([import('../../cli/sandbox-remote.js'), import('../../cli/env-values.js')])
    const server = sandboxServerOf(flags.server, process.env)
    const body = {image: args.image, ...(flags.ttl ? {ttl: flags.ttl} : {}), ...(flags.env ? {env: {...parseEnvFlags(flags.env)}} : {}), ...(flags.network ? {network: flags.network} : {})}
    const sandbox = await sandboxJson<{id: string}>(server, 'POST', '/v1/sandboxes', body)
    process.stdout.write(flags.json ? `${JSON.stringify(sandbox, null, 2)}\n` : `${sandbox.id}\n`)
  }
}
