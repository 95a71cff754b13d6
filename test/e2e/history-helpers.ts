import type {ChildProcess} from 'node:child_process'
import {basename} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {containers, orca, runDirs, type CliResult} from './cli.js'

/** Starts `orca ARGS` in the background; resolves once its run has a container, with the run id. */
export async function startLiveRun(
  dir: string,
  args: string[],
): Promise<{runId: string; child: ChildProcess; done: Promise<CliResult>}> {
  const before = new Set(runDirs(dir))
  let child: ChildProcess | undefined
  const done = orca(args, {cwd: dir, onSpawn: (c) => (child = c)})
  for (let i = 0; i < 300; i++) {
    const run = runDirs(dir).find((d) => !before.has(d))
    if (run !== undefined && containers(`orca.run=${basename(run)}`).length > 0) return {runId: basename(run), child: child!, done}
    await sleep(100)
  }
  child?.kill('SIGKILL')
  throw new Error(`orca ${args.join(' ')} never started a container: ${JSON.stringify(await done)}`)
}
