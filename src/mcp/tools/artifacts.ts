import type {FileHandle} from 'node:fs/promises'

import type {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js'
import * as z from 'zod'

import {inspectRun} from '../../engine/history/abandon.js'
import {openRunArtifact, runArtifacts} from '../artifacts.js'
import {boundedList} from '../results.js'
import {markedText, readTextWindow} from '../text-window.js'
import {registerOrcaTool, type ToolContext} from '../tool.js'
import {jobArgument, maxBytesArgument, runArgument} from './arguments.js'
import {textWindowSchema} from './logs.js'

/** Bytes looked at to tell text from binary, as git does. */
const SNIFF_BYTES = 8000

const artifactSchema = z.object({job: z.string(), path: z.string(), size: z.number(), sha256: z.string()})

export function registerArtifactTools(server: McpServer, context: ToolContext): void {
  registerOrcaTool(server, context, 'list_artifacts', {
    title: 'List artifacts',
    description: "The artifacts a run collected (path under the job's workdir, size, sha256), in job order.",
    input: z.object({
      run: runArgument,
      job: jobArgument.optional().describe("only this job's artifacts"),
      offset: z.number().int().min(0).default(0).describe('skip this many artifacts'),
      limit: z.number().int().min(1).max(500).default(100),
    }),
    output: z.object({run: z.string(), artifacts: z.array(artifactSchema), total: z.number(), omitted: z.number()}),
    annotations: {readOnlyHint: true, openWorldHint: false},
    async run(args) {
      const {config, id} = await context.project.resolveRun(args.run)
      const record = context.runs.get(id)?.record ?? (await inspectRun(config.runsDir, id))
      const all = await runArtifacts(config.runsDir, record, args.job)
      const shown = boundedList(all, args.limit, args.offset)
      const lines = shown.items.map((a) => `${a.job}/${a.path}  ${a.size} bytes  sha256:${a.sha256.slice(0, 12)}`)
      if (shown.omitted > 0) lines.push(`… ${shown.omitted} more not listed (offset/limit page through them)`)
      return {
        summary: all.length === 0 ? `run ${id} has no artifacts${args.job === undefined ? '' : ` of ${args.job}`}` : lines.join('\n'),
        data: {run: id, artifacts: shown.items, total: shown.total, omitted: shown.omitted},
      }
    },
  })

  registerOrcaTool(server, context, 'read_artifact', {
    title: 'Read an artifact',
    description:
      'One artifact of a run. Text comes inline (from an offset, bounded by maxBytes, secrets masked, what is left out marked); a binary file is described by its path on this machine, size and sha256 only.',
    input: z.object({
      run: runArgument,
      job: jobArgument,
      path: z.string().min(1).describe("the artifact's path as list_artifacts gives it"),
      offset: z.number().int().min(0).default(0).describe('byte offset to read text from'),
      maxBytes: maxBytesArgument,
    }),
    output: z.object({
      run: z.string(),
      job: z.string(),
      path: z.string(),
      size: z.number(),
      sha256: z.string(),
      hostPath: z.string().describe('where the file is on this machine'),
      kind: z.enum(['text', 'binary']),
      ...z.object(textWindowSchema).partial().shape,
    }),
    annotations: {readOnlyHint: true, openWorldHint: false},
    async run(args, call) {
      const {config, id} = await context.project.resolveRun(args.run)
      const record = context.runs.get(id)?.record ?? (await inspectRun(config.runsDir, id))
      const {artifact, file, hostPath} = await openRunArtifact(config, record, args.job, args.path)
      try {
        const size = (await file.stat()).size
        const described = {run: id, job: artifact.job, path: artifact.path, size, sha256: artifact.sha256, hostPath}
        if (await isBinary(file, size)) {
          return {
            summary: `${artifact.job}/${artifact.path} is binary: ${size} bytes, sha256 ${artifact.sha256}, at ${hostPath} (not shown inline)`,
            data: {...described, kind: 'binary' as const},
          }
        }
        const window = await readTextWindow(file, size, {offset: args.offset, maxBytes: args.maxBytes}, call.redactor)
        const body = markedText(window, {tool: 'read_artifact', args: {run: id, job: artifact.job, path: artifact.path, maxBytes: args.maxBytes}})
        return {
          summary: `${artifact.job}/${artifact.path} of run ${id}: bytes ${window.offset}-${window.end} of ${size}\n${body}`,
          data: {...described, kind: 'text' as const, ...window, complete: window.offset === 0 && window.end === window.totalBytes},
        }
      } finally {
        await file.close()
      }
    },
  })
}

/** A NUL byte, or bytes that are not UTF-8, in the first few kilobytes. */
async function isBinary(file: FileHandle, size: number): Promise<boolean> {
  const head = Buffer.alloc(Math.min(size, SNIFF_BYTES))
  const {bytesRead} = await file.read(head, 0, head.length, 0)
  const bytes = head.subarray(0, bytesRead)
  if (bytes.includes(0)) return true
  try {
    // `stream` keeps a character cut at the end of the sample from counting as invalid.
    new TextDecoder('utf-8', {fatal: true}).decode(bytes, {stream: true})
    return false
  } catch {
    return true
  }
}
