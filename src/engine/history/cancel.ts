import {readFileSync} from 'node:fs'

import {OrcaError} from '../errors.js'
import {runDir} from '../records/store.js'
import {inspectRun} from './abandon.js'
import {readRunLock} from './lock.js'
import {judgeOwner, systemProbe} from './liveness.js'

/**
 * Cancels a live run of this project that an `orca run` on this machine is running: its process gets
 * SIGTERM, which it handles as a Ctrl-C (containers stopped and cleaned per policy, the run recorded
 * `cancelled`); with `force`, a second one, which stops containers without a grace period. A run of
 * `orca serve` or `orca mcp` is not theirs to lose: those are cancelled through their server.
 * Returns the pid signalled.
 */
export async function cancelLocalRun(runsDir: string, id: string, force: boolean): Promise<number> {
  const record = await inspectRun(runsDir, id)
  if (record.status !== 'running') throw new OrcaError('usage', `run ${id} has already finished (${record.status})`)
  const lock = readRunLock(runDir(runsDir, id))?.lock
  const probe = systemProbe()
  if (lock === undefined || !judgeOwner(lock, probe).alive) throw new OrcaError('usage', `run ${id} is not running any more`)
  if (lock.host !== probe.host) {
    throw new OrcaError('usage', `run ${id} is run by orca process ${lock.pid} on host ${lock.host}, not this machine`, {hint: 'cancel it there'})
  }
  const command = orcaCommandOf(lock.pid)
  if (command !== undefined && command !== 'run') {
    throw new OrcaError('usage', `run ${id} belongs to \`orca ${command}\` (process ${lock.pid}), which runs other work too`, {
      hint: command === 'serve' ? 'cancel it through the server: orca cancel RUN --server URL' : undefined,
    })
  }
  process.kill(lock.pid, 'SIGTERM')
  if (force) {
    // The second signal is the "stop containers now" of a second Ctrl-C; the first must be handled first.
    await new Promise((resolve) => setTimeout(resolve, 200))
    process.kill(lock.pid, 'SIGTERM')
  }
  return lock.pid
}

/** The orca command a process runs (`run`, `serve`, …), from its command line; undefined when it cannot be read (not Linux). */
function orcaCommandOf(pid: number): string | undefined {
  let argv: string[]
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
  } catch {
    return undefined
  }
  // node <script> <command> …: the first word after the script that is not a flag.
  return argv.slice(2).find((word) => word !== '' && !word.startsWith('-'))
}
