import type {Writable} from 'node:stream'

import type {Plan} from '../engine/plan/plan.js'
import type {EventSink} from '../engine/run/events.js'
import type {RunResult} from '../engine/run/scheduler.js'
import {prepareRun, startRun, type RunRequest} from '../engine/run/start-run.js'

export interface RunPipelineOptions extends RunRequest {
  dryRun: boolean
  output: 'auto' | 'tty' | 'plain' | 'json'
  orcaVersion: string
  stdout: Writable & {isTTY?: boolean}
  stderr: Writable
}

/** `orca run` end to end: returns the exit code (SPEC §7). User mistakes throw OrcaError before anything is written. */
export async function runPipeline(options: RunPipelineOptions): Promise<number> {
  const prepared = await prepareRun(options)
  if (options.dryRun) {
    options.stdout.write(formatPlan(prepared.plan))
    return 0
  }

  const reporter = await pickReporter(options)
  const run = await startRun(prepared, {sinks: [reporter], orcaVersion: options.orcaVersion})
  let signals = 0
  const onSignal = (): void => {
    options.stderr.write(
      ++signals === 1
        ? '\norca: cancelling the run (press Ctrl-C again to stop containers without waiting)\n'
        : '\norca: stopping containers now\n',
    )
    run.cancel()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  let result: RunResult
  try {
    result = await run.done
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

