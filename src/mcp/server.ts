import {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js'

import {registerResources} from './resources.js'
import type {ToolContext} from './tool.js'
import {registerArtifactTools} from './tools/artifacts.js'
import {registerLogTools} from './tools/logs.js'
import {registerPipelineTools} from './tools/pipeline.js'
import {registerRunTools} from './tools/runs.js'

/** What the client passes on to the model about how to use this server. */
const INSTRUCTIONS = `orca runs the jobs of this project's jobs.yml in throwaway Docker containers, caching each job by the content of its inputs.
- After editing jobs.yml, call validate_pipeline: every problem comes with its file, line and column.
- list_jobs shows the jobs and targets; run runs targets (and what they need) and, by default, waits for the end and returns each job's result with the last log lines of failed jobs.
- read_log reads more of a job's log; list_artifacts and read_artifact read what jobs produced; explain_cache says why a job ran again instead of being restored from the cache.
- Long runs: run with wait false (or a short waitSeconds), then get_run with waitSeconds; cancel_run stops a run.
Runs are recorded like those of \`orca run\` and show in \`orca runs\`. Answers are bounded; a marker says how to read what was left out.`

/** The MCP server: tools and resources over the engine, for one project. */
export function createOrcaMcpServer(context: ToolContext, orcaVersion: string): McpServer {
  const server = new McpServer({name: 'orca', version: orcaVersion}, {instructions: INSTRUCTIONS})
  registerPipelineTools(server, context)
  registerRunTools(server, context)
  registerLogTools(server, context)
  registerArtifactTools(server, context)
  registerResources(server, context)
  return server
}
