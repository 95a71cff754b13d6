import * as path from 'node:path'

import type {OrcaEvent as ClientEvent} from '../../client/index.js'
import {parsedPipelinesDir} from '../../engine/cache/last.js'
import {loadConfig} from '../../engine/config/load.js'
import {exitCode, OrcaError} from '../../engine/errors.js'
import {loadPipeline} from '../../engine/pipeline/load.js'
import {planRun} from '../../engine/plan/plan.js'
import type {EventSink, OrcaEvent} from '../../engine/records/events.js'
import {formatRunError} from '../../views/run/ci.js'
import {pickReporter, wantsLiveView, type RunPipelineOptions} from '../run-pipeline.js'
import {remoteCall, remoteError, type Remote} from './connection.js'
import {lacksUploads, uploadTree, workingTree, type TreeUpload} from './tree.js'

/** Flags whose work happens on this machine, so they mean nothing for a run on a server. */
const LOCAL_ONLY: Array<[keyof RunPipelineOptions, string]> = [
  ['dryRun', '--dry-run'],
  ['interactive', '--interactive'],
  ['watch', '--watch'],
  ['needsFromCache', '--needs-from-cache'],
  ['keepForMs', '--keep-for'],
]

/**
 * `orca run --server URL`: the pipeline is read and checked here (a mistake is reported as a local
 * run reports it, before anything is sent), the project's working tree is sent (only content the
 * server lacks), the server runs it, and its events feed the same reporter a local run would use,
 * so the output and the exit code are a local run's.
 */
export async function runRemote(remote: Remote, options: RunPipelineOptions): Promise<number> {
  for (const [key, flag] of LOCAL_ONLY) {
    if (options[key] !== undefined && options[key] !== false) throw new OrcaError('usage', `${flag} is not available with --server: it works on this machine's containers`)
  }
  const config = await loadConfig({cwd: options.cwd, projectDir: options.projectDir, env: options.env})
  const pipeline = await loadPipeline(options.file, {cwd: options.cwd, defaults: config.defaults, parseCacheDir: parsedPipelinesDir(config.cacheDir)})
  // Unknown targets are refused here, with a local run's message.
  const plan = planRun(pipeline, options.targets)
  const liveView = wantsLiveView(options) ? import('../../views/live/live-view.js') : undefined
  liveView?.catch(() => undefined)

  const tree = await workingTree(config, pipeline, options.env)
  const submission = {
    file: path.relative(pipeline.projectDir, pipeline.file).split(path.sep).join('/'),
    targets: options.targets,
    noCache: options.noCache,
    failFast: options.failFast,
    ...(options.cleanup === undefined ? {} : {cleanup: options.cleanup}),
    ...(options.concurrency === undefined ? {} : {concurrency: options.concurrency}),
    ...(Object.keys(options.envOverrides).length === 0 ? {} : {env: options.envOverrides}),
    tree: tree.digest,
  }
  let upload = await uploadTree(remote, tree)
  let submitted
  try {
    submitted = await remote.client.createRun(submission)
  } catch (error) {
    if (!lacksUploads(error)) throw remoteError(remote, error)
    // The server's size cap dropped some of it since it was asked: once more.
    upload = await uploadTree(remote, tree)
    submitted = await remoteCall(remote, (client) => client.createRun(submission))
  }
  options.stderr.write(`${sentLine(upload)} to ${remote.url}: run ${submitted.id}\n`)

  let cancelRun = (): void => {}
  const reporter = await pickReporter(options, {runsDir: config.runsDir, jobs: plan.order}, liveView, () => cancelRun())
  const sinks: EventSink[] = [reporter]
  if (options.junit !== undefined) {
    const {JunitReporter} = await import('../../views/run/junit.js')
    sinks.push(new JunitReporter(path.resolve(options.cwd, options.junit)))
  }
  let signals = 0
  cancelRun = () => {
    options.onInterrupt?.()
    if (reporter.showCancelling) reporter.showCancelling(++signals)
    else {
      options.stderr.write(
        ++signals === 1 ? '\norca: cancelling the run (press Ctrl-C again to stop containers without waiting)\n' : '\norca: stopping containers now\n',
      )
    }
    remote.client.cancelRun(submitted.id, {force: signals > 1}).catch((error: unknown) => {
      options.stderr.write(`orca: cannot cancel run ${submitted.id} on ${remote.url}: ${(error as Error).message}\n`)
    })
  }
  process.on('SIGINT', cancelRun)
  process.on('SIGTERM', cancelRun)
  let finished: Extract<OrcaEvent, {type: 'run.finished'}> | undefined
  try {
    await remoteCall(remote, async (client) => {
      for await (const received of client.events(submitted.id)) {
        const event = received as ClientEvent as OrcaEvent
        for (const sink of sinks) sink.handle(event)
        if (event.type === 'run.finished') finished = event
      }
    })
  } finally {
    process.off('SIGINT', cancelRun)
    process.off('SIGTERM', cancelRun)
    for (const sink of sinks) await sink.close?.()
  }
  if (finished === undefined) throw new OrcaError('infra', `the events of run ${submitted.id} on ${remote.url} ended before the run did`, {hint: `orca logs ${submitted.id} --follow --server ${remote.url}`})
  return remoteRunExitCode(finished, options)
}

/** The exit code of a run from its last event, as a local run maps its result; an engine failure is said once, here. */
function remoteRunExitCode(finished: Extract<OrcaEvent, {type: 'run.finished'}>, options: Pick<RunPipelineOptions, 'stderr' | 'env'>): number {
  if (finished.status === 'cancelled') return exitCode('cancelled')
  if (finished.error?.kind === 'infra') {
    options.stderr.write(formatRunError(finished.error, options.env))
    return exitCode('infra')
  }
  return exitCode(finished.status === 'succeeded' ? 'succeeded' : 'jobFailed')
}

/** `sent 1 of 12 files (310 B)`: what the server lacked of the tree. */
function sentLine(upload: TreeUpload): string {
  return `sent ${upload.sentFiles} of ${upload.files} file${upload.files === 1 ? '' : 's'} (${upload.bytes} B)`
}
