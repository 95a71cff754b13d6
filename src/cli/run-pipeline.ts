import type {Writable} from 'node:stream'

import {loadConfig} from '../engine/config/load.js'
import {indexProjectFiles} from '../engine/plan/inputs.js'
import {planRun, type Plan} from '../engine/plan/plan.js'
import {loadPipeline} from '../engine/pipeline/load.js'
import type {CleanupPolicy} from '../engine/pipeline/types.js'
import type {EventSink} from '../engine/run/events.js'
import {newRunId} from '../engine/run/run-id.js'
import {executeRun, resolveSecrets, type RunResult} from '../engine/run/scheduler.js'
import {RunStore} from '../engine/run/store.js'

export interface RunPipelineOptions {
  cwd: string
  env: NodeJS.ProcessEnv
  file: string
  targets: string[]
  concurrency?: number
  noCache: boolean
  dryRun: boolean
  failFast: boolean
  output: 'auto' | 'tty' | 'plain' | 'json'
  cleanup?: CleanupPolicy
  envOverrides: Record<string, string>
  orcaVersion: string
  stdout: Writable & {isTTY?: boolean}
  stderr: Writable
}

/** `orca run` end to end: returns the exit code (SPEC §7). User mistakes throw OrcaError before anything is written. */
export async function runPipeline(options: RunPipelineOptions): Promise<number> {
  const config = await loadConfig({cwd: options.cwd, env: options.env, flags: {concurrency: options.concurrency}})
  const pipeline = await loadPipeline(options.file, {cwd: options.cwd, defaults: config.defaults})
  const plan = planRun(pipeline, options.targets)
  const secrets = resolveSecrets(plan, options.env)

  if (options.dryRun) {
    options.stdout.write(formatPlan(plan))
    return 0
  }

  const projectFiles = indexProjectFiles(pipeline.projectDir)
  const runId = newRunId()
  const store = await RunStore.create(config.runsDir, runId)
  const reporter = await pickReporter(options)

  const cancel = new AbortController()
  const force = new AbortController()
  const onSignal = (): void => {
    if (!cancel.signal.aborted) {
      options.stderr.write('\norca: cancelling the run (press Ctrl-C again to stop containers without waiting)\n')
      cancel.abort()
    } else {
      force.abort()
    }
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  let result: RunResult
  try {
    result = await executeRun({
      runId,
      pipeline,
      plan,
      executor: async () => {
        const {connectDocker} = await import('../engine/executor/docker/docker-executor.js')
        return connectDocker({host: config.docker.host, env: options.env})
      },
      projectFiles,
      concurrency: config.concurrency,
      failFast: options.failFast,
      cleanupOverride: options.cleanup,
      envOverrides: options.envOverrides,
      secrets,
      artifactsDir: (job) => store.artifactsDir(job),
      sinks: [store, reporter],
      cancel: cancel.signal,
      force: force.signal,
      orcaVersion: options.orcaVersion,
    })
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }

  if (result.status === 'cancelled') return 130
  if (result.infraError) {
    options.stderr.write(`error: ${result.infraError.message}\n`)
    if (result.infraError.hint) options.stderr.write(`hint: ${result.infraError.hint}\n`)
    return 3
  }
  return result.status === 'succeeded' ? 0 : 1
}

async function pickReporter(options: RunPipelineOptions): Promise<EventSink> {
  if (options.output === 'json') {
    const {JsonReporter} = await import('../engine/report/json.js')
    return new JsonReporter(options.stdout)
  }
  // The live terminal view comes with its own issue; until then `auto` and `tty` print lines,
  // grouped per job under GitHub Actions and GitLab CI.
  const {lineReporterFor} = await import('../engine/report/ci.js')
  return lineReporterFor(options.stdout, {env: options.env})
}

function formatPlan(plan: Plan): string {
  const width = Math.max(...plan.order.map((n) => n.length), 3)
  const lines = [`${'job'.padEnd(width)}  ${'image'.padEnd(24)}  needs`]
  for (const name of plan.order) {
    const job = plan.jobs.get(name)!
    const image = job.steps.length === 0 ? '(group)' : job.image
    lines.push(`${name.padEnd(width)}  ${image.padEnd(24)}  ${job.needs.join(', ') || '-'}`)
  }
  return `${lines.join('\n')}\n${plan.order.length} job${plan.order.length === 1 ? '' : 's'} planned; nothing was run (--dry-run)\n`
}

