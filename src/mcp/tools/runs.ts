import {setTimeout as sleep} from 'node:timers/promises'

import type {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js'
import * as z from 'zod'

import type {ResolvedConfig} from '../../engine/config/types.js'
import {OrcaError} from '../../engine/errors.js'
import {inspectRun} from '../../engine/history/abandon.js'
import {nameTable} from '../../engine/name-table.js'
import {CLEANUP_POLICIES} from '../../engine/pipeline/types.js'
import type {RunRecord} from '../../engine/records/record.js'
import {listRunIds} from '../../engine/records/run-id.js'
import {prepareRun} from '../../engine/run/start-run.js'
import {runDir} from '../../engine/records/store.js'
import type {LiveRun} from '../live-runs.js'
import {failedLogTails} from '../logs.js'
import {formatRunSummary, runSummarySchema, summariseRun, type RunSummary} from '../run-summary.js'
import {registerOrcaTool, type ToolCall, type ToolContext} from '../tool.js'
import {fileArgument, runArgument} from './arguments.js'

/** How long `run` and `get_run` wait at most in one call; a longer run is waited for again with get_run. */
const MAX_WAIT_SECONDS = 3600
const POLL_MS = 500

export function registerRunTools(server: McpServer, context: ToolContext): void {
  registerOrcaTool(server, context, 'run', {
    title: 'Run jobs',
    description:
      'Runs targets of the pipeline and every job they need, each in a throwaway container, exactly as `orca run` does (cached jobs are restored, not run; the run is recorded and shows in `orca runs`). With wait (the default) the call returns when the run ends, or after waitSeconds with the run still going; with wait false it returns the run id at once. The result lists every job with its status, cache use and failing step, and the last lines of the logs of the first jobs that failed.',
    input: z.object({
      targets: z.array(z.string()).default([]).describe('jobs to run, with everything they need; empty: every job'),
      wait: z.boolean().default(true).describe('wait for the end of the run (up to waitSeconds); false: return the run id at once'),
      waitSeconds: z.number().int().min(1).max(MAX_WAIT_SECONDS).default(600).describe('with wait: how long to wait before returning with the run still going'),
      noCache: z.boolean().default(false).describe('run every job even when its key is cached'),
      failFast: z.boolean().default(false).describe('cancel running jobs and skip pending ones after the first failure'),
      cleanup: z.enum(CLEANUP_POLICIES).optional().describe('cleanup policy for every job of this run'),
      env: z
        .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().refine((value) => !value.includes('\0'), 'no NUL bytes'))
        .optional()
        .describe('environment variables set in every job (like `orca run -e K=V`); they are part of the cache key'),
      file: fileArgument,
    }),
    output: z.object({
      finished: z.boolean().describe('false: the run is still going (wait false, or waitSeconds passed)'),
      run: runSummarySchema,
    }),
    annotations: {readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true},
    async run(args, call) {
      const {location, env} = context.project
      const prepared = await prepareRun({
        cwd: location.cwd,
        projectDir: location.projectDir,
        env,
        file: context.project.pipelineFile(args.file),
        targets: args.targets,
        noCache: args.noCache,
        failFast: args.failFast,
        cleanup: args.cleanup,
        envOverrides: nameTable(args.env),
      })
      context.project.rememberSecrets(Object.values(prepared.secrets))
      const live = await context.runs.start(prepared)
      if (args.wait) {
        const outcome = await waitForLiveRun(live, args.waitSeconds * 1000, call)
        // The client gave up on the call that started the run: nobody waits for it any more.
        if (outcome === 'aborted') {
          live.started.cancel()
          await live.done
        }
      }
      const summary = await runSummary(context, prepared.config, live.id, call)
      return {summary: withNextStep(summary), data: {finished: summary.status !== 'running', run: summary}}
    },
  })

  registerOrcaTool(server, context, 'get_run', {
    title: 'Get a run',
    description:
      "A run's status and per-job results (status, cache use, duration, steps with exit codes, artifacts, errors, the last log lines of failed jobs). With waitSeconds, waits up to that long for a run that is still going to end.",
    input: z.object({
      run: runArgument,
      waitSeconds: z.number().int().min(0).max(MAX_WAIT_SECONDS).default(0).describe('wait up to this long for a running run to end'),
    }),
    output: z.object({run: runSummarySchema}),
    annotations: {readOnlyHint: true, openWorldHint: false},
    async run(args, call) {
      const {config, id} = await context.project.resolveRun(args.run)
      if (args.waitSeconds > 0) await waitForRun(context, config, id, args.waitSeconds * 1000, call)
      const summary = await runSummary(context, config, id, call)
      return {summary: withNextStep(summary), data: {run: summary}}
    },
  })

  registerOrcaTool(server, context, 'list_runs', {
    title: 'List runs',
    description: 'The recorded runs of the project, newest first (runs of `orca run`, `orca serve` and this server alike).',
    input: z.object({limit: z.number().int().min(1).max(50).default(10).describe('runs to list')}),
    output: z.object({
      runs: z.array(
        z.object({
          id: z.string(),
          status: runSummarySchema.shape.status,
          targets: z.array(z.string()),
          startedAt: z.string(),
          durationMs: z.number().nullable(),
          counts: runSummarySchema.shape.counts,
        }),
      ),
      total: z.number(),
    }),
    annotations: {readOnlyHint: true, openWorldHint: false},
    async run(args) {
      const config = await context.project.config()
      const ids = await listRunIds(config.runsDir)
      const runs = []
      for (const id of ids) {
        if (runs.length === args.limit) break
        const record = await readRecord(context, config, id).catch(() => undefined)
        if (record === undefined) continue
        const {status, targets, startedAt, durationMs, counts} = summariseRun(record, {live: false})
        runs.push({id, status, targets, startedAt, durationMs, counts})
      }
      const lines = runs.map((r) => `${r.id}  ${r.status}  ${r.targets.join(',') || '(every job)'}  ${r.counts.succeeded} ok, ${r.counts.failed} failed, ${r.counts.cached} cached`)
      const more = ids.length > runs.length ? [`… ${ids.length - runs.length} older run(s) not listed`] : []
      return {summary: runs.length === 0 ? 'no runs recorded' : [...lines, ...more].join('\n'), data: {runs, total: ids.length}}
    },
  })

  registerOrcaTool(server, context, 'cancel_run', {
    title: 'Cancel a run',
    description:
      'Cancels a run this server started: its containers are stopped (SIGTERM, then SIGKILL after a grace period; force kills at once) and removed per their cleanup policy, and the run is recorded as cancelled. Returns once that is recorded (or after waitSeconds).',
    input: z.object({
      run: runArgument,
      force: z.boolean().default(false).describe('kill the containers at once instead of giving them a grace period'),
      waitSeconds: z.number().int().min(0).max(120).default(60).describe('how long to wait for the run to be recorded as cancelled'),
    }),
    output: z.object({cancelled: z.boolean().describe('false: the run had already ended'), run: runSummarySchema}),
    annotations: {readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false},
    async run(args, call) {
      const {config, id} = await context.project.resolveRun(args.run)
      const live = context.runs.get(id)
      if (live === undefined) {
        const record = await readRecord(context, config, id)
        if (record.status === 'running') {
          throw new OrcaError('usage', `run ${id} is running in another orca process (pid ${record.pid ?? 'unknown'} on ${record.host ?? 'an unknown host'}): only runs started by this server can be cancelled here`, {
            hint: 'press Ctrl-C where it runs, or send that process SIGINT',
          })
        }
        const summary = await runSummary(context, config, id, call)
        return {summary: `run ${id} had already ended (${summary.status}); nothing to cancel`, data: {cancelled: false, run: summary}}
      }
      live.started.cancel(args.force)
      await settleWithin(live.done, args.waitSeconds * 1000, call.signal)
      const summary = await runSummary(context, config, id, call)
      return {summary: formatRunSummary(summary), data: {cancelled: true, run: summary}}
    },
  })
}

/** A run's record: a live one's from its events, another's from disk (a dead owner's run is recorded as abandoned first). */
async function readRecord(context: ToolContext, config: ResolvedConfig, id: string): Promise<RunRecord> {
  return context.runs.get(id)?.record ?? inspectRun(config.runsDir, id)
}

async function runSummary(context: ToolContext, config: ResolvedConfig, id: string, call: ToolCall): Promise<RunSummary> {
  const record = await readRecord(context, config, id)
  const tails = await failedLogTails(runDir(config.runsDir, id), record, call.redactor)
  return summariseRun(record, {live: context.runs.get(id) !== undefined, logTails: tails})
}

function withNextStep(summary: RunSummary): string {
  const text = formatRunSummary(summary)
  if (summary.status !== 'running') return text
  return `${text}\nstill running: get_run {"run":"${summary.id}","waitSeconds":600} waits for its end; cancel_run {"run":"${summary.id}"} stops it`
}

/** Waits for the end of a run: one of this server's through its events, another process's by reading its record. */
async function waitForRun(context: ToolContext, config: ResolvedConfig, id: string, ms: number, call: ToolCall): Promise<void> {
  const live = context.runs.get(id)
  if (live !== undefined) {
    await waitForLiveRun(live, ms, call)
    return
  }
  const deadline = Date.now() + ms
  while (!call.signal.aborted && (await inspectRun(config.runsDir, id)).status === 'running' && Date.now() < deadline) {
    await sleep(Math.min(POLL_MS, deadline - Date.now()), undefined, {signal: call.signal}).catch(() => undefined)
  }
}

/** Waits for a live run's end, reporting each job that settles as progress. */
function waitForLiveRun(live: LiveRun, ms: number, call: ToolCall): Promise<'done' | 'timeout' | 'aborted'> {
  const total = Object.keys(live.record?.jobs ?? {}).length
  let settled = Object.values(live.record?.jobs ?? {}).filter((job) => job.status !== 'pending' && job.status !== 'running').length
  const stop = live.listen((event) => {
    if (event.type === 'job.finished') call.progress(++settled, total, `${event.job} ${event.status}`)
    else if (event.type === 'job.skipped') call.progress(++settled, total, `${event.job} skipped`)
  })
  return settleWithin(live.done, ms, call.signal).finally(stop)
}

/** Whichever comes first: the promise settles, `ms` pass, or the signal aborts. */
function settleWithin(promise: Promise<unknown>, ms: number, signal: AbortSignal): Promise<'done' | 'timeout' | 'aborted'> {
  if (signal.aborted) return Promise.resolve('aborted')
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish('timeout'), ms)
    const onAbort = (): void => finish('aborted')
    const finish = (outcome: 'done' | 'timeout' | 'aborted'): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      resolve(outcome)
    }
    signal.addEventListener('abort', onAbort, {once: true})
    promise.then(
      () => finish('done'),
      () => finish('done'),
    )
  })
}
