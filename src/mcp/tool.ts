import type {McpServer, ToolCallback} from '@modelcontextprotocol/sdk/server/mcp.js'
import type {ToolAnnotations} from '@modelcontextprotocol/sdk/types.js'
import type * as z from 'zod'

import {OrcaError} from '../engine/errors.js'
import type {LiveRuns} from './live-runs.js'
import type {McpProject} from './project.js'
import type {Redactor} from './redact.js'
import {toolError, toolResult} from './results.js'

/** What every tool works with: the project and the runs this server started. */
export interface ToolContext {
  project: McpProject
  runs: LiveRuns
  /** Where notices go (stderr: stdout carries the protocol). */
  stderr: {write(text: string): unknown}
}

/** One call of a tool: its masker, the client's cancellation, and progress reports when the client asked for them. */
export interface ToolCall {
  redactor: Redactor
  /** Aborted when the client cancels the request. */
  signal: AbortSignal
  /** Reports progress when the client sent a progress token (it may then keep a long call alive). */
  progress(done: number, total: number, message: string): void
}

/** What a tool returns: the data its output schema describes, and a short text. */
export interface ToolAnswer<T> {
  summary: string
  data: T
}

export interface ToolDefinition<In extends z.ZodObject, Out extends z.ZodObject> {
  title: string
  description: string
  input: In
  output: Out
  annotations: ToolAnnotations
  run(args: z.output<In>, call: ToolCall): Promise<ToolAnswer<z.output<Out>>>
}

/**
 * Registers a tool whose answer is structured, masked, and whose failures are tool errors with the
 * message and hint a CLI user would read (an unexpected error's stack goes to stderr, never to the client).
 */
export function registerOrcaTool<In extends z.ZodObject, Out extends z.ZodObject>(server: McpServer, context: ToolContext, name: string, tool: ToolDefinition<In, Out>): void {
  // The SDK's callback type cannot follow a generic schema: the input is checked against it before the call.
  const input: z.ZodObject = tool.input
  const callback: ToolCallback<z.ZodObject> = async (args, extra) => {
    const redactor = await context.project.redactor()
    const token = extra._meta?.progressToken
    const call: ToolCall = {
      redactor,
      signal: extra.signal,
      progress(done, total, message) {
        if (token === undefined) return
        void extra
          .sendNotification({method: 'notifications/progress', params: {progressToken: token, progress: done, total, message: redactor.text(message)}})
          .catch(() => undefined)
      },
    }
    try {
      const answer = await tool.run(args as z.output<In>, call)
      return toolResult(answer.summary, answer.data as Record<string, unknown>, redactor)
    } catch (error) {
      if (!(error instanceof OrcaError)) {
        context.stderr.write(`orca mcp: unexpected error in ${name}: ${redactor.text(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`)
      }
      return toolError(error, redactor)
    }
  }
  server.registerTool(name, {title: tool.title, description: tool.description, inputSchema: input, outputSchema: tool.output, annotations: tool.annotations}, callback)
}
