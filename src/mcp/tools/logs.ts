import type {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js'
import * as z from 'zod'

import {inspectRun} from '../../engine/history/abandon.js'
import {jobRecordOf} from '../../engine/records/record.js'
import {runDir} from '../../engine/records/store.js'
import {readJobLog} from '../logs.js'
import {markedText} from '../text-window.js'
import {registerOrcaTool, type ToolContext} from '../tool.js'
import {jobArgument, maxBytesArgument, offsetArgument, runArgument} from './arguments.js'

export const textWindowSchema = {
  text: z.string().describe('the text shown (secrets masked); the content part of the result also marks what is left out'),
  offset: z.number().describe('byte offset of the first byte shown'),
  end: z.number().describe('byte offset after the last byte shown'),
  totalBytes: z.number(),
  complete: z.boolean().describe('the whole text is shown'),
}

export function registerLogTools(server: McpServer, context: ToolContext): void {
  registerOrcaTool(server, context, 'read_log', {
    title: "Read a job's log",
    description:
      "A job's output as the run recorded it (`==> step` headers, stdout and stderr in order, secrets masked): by default its last lines, or the bytes from an offset. Answers are bounded: what is left out is marked, with the call that reads it.",
    input: z.object({
      run: runArgument,
      job: jobArgument,
      tailLines: z.number().int().min(1).max(100_000).default(200).describe('the last this many lines (when no offset is given)'),
      offset: offsetArgument,
      maxBytes: maxBytesArgument,
    }),
    output: z.object({run: z.string(), job: z.string(), jobStatus: z.string(), live: z.boolean(), ...textWindowSchema}),
    annotations: {readOnlyHint: true, openWorldHint: false},
    async run(args, call) {
      const {config, id} = await context.project.resolveRun(args.run)
      const live = context.runs.get(id)
      const record = live?.record ?? (await inspectRun(config.runsDir, id))
      const window = await readJobLog(runDir(config.runsDir, id), record, args.job, args, call.redactor)
      const complete = window.offset === 0 && window.end === window.totalBytes
      const status = jobRecordOf(record, args.job)?.status ?? 'pending'
      const header = `log of ${args.job} (${status}) in run ${id}${live ? ', still running' : ''}: bytes ${window.offset}-${window.end} of ${window.totalBytes}`
      const body = markedText(window, {tool: 'read_log', args: {run: id, job: args.job, maxBytes: args.maxBytes}})
      return {
        summary: `${header}\n${body}`,
        data: {run: id, job: args.job, jobStatus: status, live: live !== undefined, ...window, complete},
      }
    },
  })
}
