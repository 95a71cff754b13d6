import {OrcaCommand} from '../cli/base.js'
import {oclifFlags} from '../cli/flags/oclif.js'
import {serveFlags} from '../cli/flags/serve.js'

export default class Serve extends OrcaCommand {
  static override summary = 'Serve the engine over HTTP: start runs, stream their events, fetch logs and artifacts.'

  static override description = `Serves the project in the working directory under /v1 (see docs/serve.md; the OpenAPI document is at /v1/openapi.json). Runs started over HTTP execute in this process through the same engine and run directory as \`orca run\`: they show up in \`orca runs\`, and runs of other processes can be read and followed here. At most --max-runs runs execute at once; later ones are recorded and wait their turn.

Listens on 127.0.0.1 by default. Listening on any other address needs a token (--token or ORCA_TOKEN), checked as "Authorization: Bearer <token>" on every route but /healthz. Runs can be started only from the pipeline files serve.pipelines allows (default jobs.yml). SIGTERM or Ctrl-C stops accepting requests, cancels live runs (or lets them finish with --on-shutdown finish), waits until they are recorded, and exits 0; a second signal kills their containers without grace.

Exit codes: 0 stopped by a signal, 2 usage or configuration error (e.g. a non-loopback address without a token, port in use).`

  static override examples = [
    {description: 'Serve on 127.0.0.1:7070 (or serve.host/serve.port from the configuration)', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Any free port; the address is printed on stdout', command: '<%= config.bin %> <%= command.id %> --port 0'},
    {description: 'Reachable from other machines, with a token', command: 'ORCA_TOKEN=$(openssl rand -hex 24) <%= config.bin %> <%= command.id %> --host 0.0.0.0'},
    {description: 'Start a run with curl', command: 'curl -X POST -H "content-type: application/json" -d \'{"targets":["build"]}\' http://127.0.0.1:7070/v1/runs'},
  ]

  static override flags = oclifFlags(serveFlags)

  public async run(): Promise<void> {
    const {flags} = await this.parse(Serve)
    const cwd = process.cwd()
    const [{loadConfig}, {serveUntilSignal}] = await Promise.all([import('../engine/config/load.js'), import('../server/serve.js')])
    const config = await loadConfig({cwd, env: process.env, flags: {serveHost: flags.host, servePort: flags.port}})
    await serveUntilSignal({
      projectDir: cwd,
      config,
      env: process.env,
      orcaVersion: this.config.version,
      token: flags.token,
      host: config.serve.host,
      port: config.serve.port,
      maxRunningRuns: flags['max-runs'],
      onShutdown: flags['on-shutdown'],
      allowedHosts: flags['allow-host'] ?? [],
      stdout: process.stdout,
      stderr: process.stderr,
    })
    // Every run is settled and recorded and the listener closed: end now, as `orca run` does, rather
    // than wait for the event loop to empty (a stream the engine keeps open can hold it for minutes).
    await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))))
    process.exit(0)
  }
}
