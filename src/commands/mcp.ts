import {OrcaCommand} from '../cli/base.js'
import {mcpFlags} from '../cli/flags/mcp.js'
import {oclifFlags} from '../cli/flags/oclif.js'
import {exitCode} from '../engine/errors.js'
import {flushed} from '../engine/stream-drain.js'

export default class Mcp extends OrcaCommand {
  static override summary = 'Serve orca to a coding agent over the Model Context Protocol (stdio).'

  static override description = `Speaks MCP on stdin/stdout for the project found from the working directory (as \`orca run\` finds it), so that an agent (Claude Code, VS Code, Cursor and other MCP clients) can list jobs, validate jobs.yml with positions, run targets and wait for their results, read logs and artifacts, explain cache misses and cancel runs. Runs started here are ordinary runs: recorded under the run directory and listed by \`orca runs\`. Every answer is bounded in size and has secrets masked. See docs/mcp.md.

The client starts this command itself: register it in the client's configuration, e.g. {"mcpServers": {"orca": {"command": "orca", "args": ["mcp"]}}}. stdout carries only the protocol; notices go to stderr. When the client disconnects (stdin closes), runs started here are cancelled, their containers removed, and orca exits; SIGTERM or Ctrl-C does the same with a grace period for the containers, a second signal kills them.

The agent can run anything jobs.yml says, in containers, with the secrets the pipeline names: give it to agents you would let use your shell.

Exit codes: 0 the client disconnected or a signal stopped it, 2 usage or configuration error.`

  static override examples = [
    {description: 'Register with Claude Code, for this project', command: 'claude mcp add orca -- <%= config.bin %> <%= command.id %>'},
    {description: 'What an MCP client configuration holds (e.g. .mcp.json)', command: `echo '{"mcpServers": {"orca": {"command": "<%= config.bin %>", "args": ["<%= command.id %>"]}}}' > .mcp.json`},
    {description: 'Serve another pipeline file of the project', command: '<%= config.bin %> <%= command.id %> -f ci/jobs.yml'},
    {description: 'Try it by hand with the MCP Inspector', command: 'npx @modelcontextprotocol/inspector <%= config.bin %> <%= command.id %>'},
  ]

  static override flags = oclifFlags(mcpFlags)

  public async run(): Promise<void> {
    const {flags} = await this.parse(Mcp)
    const [{locateProject}, {serveMcpOverStdio}] = await Promise.all([import('../cli/project.js'), import('../mcp/stdio.js')])
    // No jobs.yml yet is fine: the agent may write one, and validate_pipeline says what is missing.
    const location = locateProject({cwd: process.cwd(), file: flags.file, stderr: process.stderr, needsJobsFile: false})
    await serveMcpOverStdio({location, env: process.env, orcaVersion: this.config.version})
    // Every run started here is recorded and its containers are gone: end now, not when the last
    // timer of a killed container's streams fires (the client may be waiting for the exit).
    await flushed(process.stdout, process.stderr)
    process.exit(exitCode('succeeded'))
  }
}
