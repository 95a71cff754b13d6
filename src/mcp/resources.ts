import {readFile, stat} from 'node:fs/promises'
import * as path from 'node:path'

import {ResourceTemplate, type McpServer} from '@modelcontextprotocol/sdk/server/mcp.js'
import {ErrorCode, McpError, type ReadResourceResult} from '@modelcontextprotocol/sdk/types.js'

import {OrcaError} from '../engine/errors.js'
import {inspectRun} from '../engine/history/abandon.js'
import {MAX_FILE_BYTES} from '../engine/pipeline/source-file.js'
import {listRunIds} from '../engine/records/run-id.js'
import {runDir} from '../engine/records/store.js'
import {readJobLog} from './logs.js'
import type {Redactor} from './redact.js'
import {errorText} from './results.js'
import {markedText} from './text-window.js'
import type {ToolContext} from './tool.js'

/** Runs a resource listing names (the newest); older ones are read by id all the same. */
const LISTED_RUNS = 20
/** A log resource holds the end of the log, this much at most; read_log pages through the rest. */
const LOG_RESOURCE_BYTES = 256 * 1024

/** Resources: the pipeline file, run records (`orca://runs/{id}`) and job logs (`orca://runs/{id}/logs/{job}`). */
export function registerResources(server: McpServer, context: ToolContext): void {
  const {project} = context

  server.registerResource(
    'pipeline',
    'orca://jobs.yml',
    {title: 'jobs.yml', description: `The project's pipeline file (${project.pipelineFile(undefined)}), as it is on disk now`, mimeType: 'application/yaml'},
    (uri) =>
      reading(context, async (redactor) => {
        const file = path.resolve(project.location.cwd, project.pipelineFile(undefined))
        const size = (await stat(file)).size
        if (size > MAX_FILE_BYTES) throw new OrcaError('usage', `${file} is ${size} bytes, more than a pipeline may be`)
        return {contents: [{uri: uri.href, mimeType: 'application/yaml', text: redactor.text(await readFile(file, 'utf8'))}]}
      }),
  )

  server.registerResource(
    'run',
    new ResourceTemplate('orca://runs/{id}', {
      list: async () => {
        // A configuration that does not load lists no runs; reading one says why.
        const ids = await project
          .config()
          .then(async (config) => (await listRunIds(config.runsDir)).slice(0, LISTED_RUNS))
          .catch(() => [])
        return {resources: ids.map((id) => ({uri: `orca://runs/${id}`, name: `run ${id}`, mimeType: 'application/json'}))}
      },
      complete: {
        id: async (value) => {
          const ids = await project
            .config()
            .then((config) => listRunIds(config.runsDir))
            .catch(() => [])
          return ids.filter((id) => id.startsWith(value)).slice(0, 100)
        },
      },
    }),
    {title: 'Run record', description: "A run's record (run.json): status, targets, times and every job's result. {id}: a run id, a unique prefix, or latest", mimeType: 'application/json'},
    (uri, variables) =>
      reading(context, async (redactor) => {
        const {config, id} = await project.resolveRun(variable(variables, 'id'))
        const record = context.runs.get(id)?.record ?? (await inspectRun(config.runsDir, id))
        return {contents: [{uri: uri.href, mimeType: 'application/json', text: JSON.stringify(redactor.json(record), null, 2)}]}
      }),
  )

  server.registerResource(
    'job-log',
    new ResourceTemplate('orca://runs/{id}/logs/{job}', {list: undefined}),
    {title: 'Job log', description: `A job's log in a run (its last ${LOG_RESOURCE_BYTES / 1024} KiB; read_log reads any part)`, mimeType: 'text/plain'},
    (uri, variables) =>
      reading(context, async (redactor) => {
        const {config, id} = await project.resolveRun(variable(variables, 'id'))
        const job = variable(variables, 'job')
        const record = context.runs.get(id)?.record ?? (await inspectRun(config.runsDir, id))
        const window = await readJobLog(runDir(config.runsDir, id), record, job, {maxBytes: LOG_RESOURCE_BYTES}, redactor)
        const text = markedText(window, {tool: 'read_log', args: {run: id, job}})
        return {contents: [{uri: uri.href, mimeType: 'text/plain', text}]}
      }),
  )
}

/** Reads a resource with the session's masker; orca's errors become protocol errors with their message and hint. */
async function reading(context: ToolContext, read: (redactor: Redactor) => Promise<ReadResourceResult>): Promise<ReadResourceResult> {
  const redactor = await context.project.redactor()
  try {
    return await read(redactor)
  } catch (error) {
    if (error instanceof OrcaError || (error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new McpError(RESOURCE_NOT_FOUND, redactor.text(error instanceof OrcaError ? errorText(error) : (error as Error).message))
    }
    context.stderr.write(`orca mcp: unexpected error reading a resource: ${redactor.text(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`)
    throw new McpError(ErrorCode.InternalError, redactor.text(errorText(error)))
  }
}

/** The JSON-RPC code MCP gives a resource that does not exist. */
const RESOURCE_NOT_FOUND = -32002

function variable(variables: Record<string, string | string[]>, name: string): string {
  const value = variables[name]
  const text = Array.isArray(value) ? (value[0] ?? '') : (value ?? '')
  try {
    return decodeURIComponent(text)
  } catch {
    // Not percent-encoding after all: the name as given (it will name no run or job).
    return text
  }
}
