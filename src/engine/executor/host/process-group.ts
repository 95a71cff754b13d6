import {spawn, type ChildProcess} from 'node:child_process'
import {constants} from 'node:os'

import {startTimeOf} from '../../process-identity.js'

/** How a process of a group ended: its exit code, or the signal that ended it. */
export interface GroupExit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A command started as the leader of a new process group, so it and every child it starts can be signalled at once. */
export interface ProcessGroup {
  child: ChildProcess
  /** Settles when the leader exits (its children may live on: see `signal`). */
  exited: Promise<GroupExit>
  /** Sends a signal to every process of the group; false when none is left. */
  signal(signal: NodeJS.Signals): boolean
}

/**
 * Starts `argv` detached (a new session, so a new process group whose id is its pid), stdin closed,
 * stdout and stderr piped. A spawn that fails (no such program, no such folder) exits with code 127.
 */
export function startGroup(argv: string[], options: {cwd: string; env: Record<string, string>}): ProcessGroup {
  const child = spawn(argv[0]!, argv.slice(1), {cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe']})
  const exited = new Promise<GroupExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({code, signal}))
    child.once('error', () => resolve({code: 127, signal: null}))
  })
  const leaderStart = child.pid === undefined ? undefined : startTimeOf(child.pid)
  return {
    child,
    exited,
    // Once the leader is gone its pid may be reused: a process there that started at another time leads another group.
    signal: (signal) => (reused(child.pid, leaderStart) ? false : signalGroup(child.pid, signal)),
  }
}

/** True when `pid` now belongs to a process other than the leader that started at `leaderStart` (known on Linux only). */
function reused(pid: number | undefined, leaderStart: string | undefined): boolean {
  if (pid === undefined || leaderStart === undefined) return false
  const now = startTimeOf(pid)
  return now !== undefined && now !== leaderStart
}

/** Signals the process group led by `pid`; false when it has no process left (or never started). */
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): boolean {
  if (pid === undefined) return false
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    // ESRCH: every process of the group is gone.
    return false
  }
}

/** The exit code a shell reports for a process ended by a signal (128 + its number), or the code itself. */
export function exitCodeOf(exit: GroupExit): number {
  if (exit.code !== null) return exit.code
  return 128 + (exit.signal === null ? 0 : constants.signals[exit.signal])
}
