import {readFileSync} from 'node:fs'
import * as os from 'node:os'

/** Who owns a run or a container: enough to tell a live process from a dead one whose pid was reused. */
export interface ProcessIdentity {
  pid: number
  /** See `processStartTime`; compared as an opaque string. */
  startTime: string
  host: string
}

let ownStartTime: string | undefined

/** The start time of this process: clock ticks since boot on Linux (stable across pid reuse), else epoch ms as `ms:<n>`. */
export function processStartTime(): string {
  ownStartTime ??= startTimeOf(process.pid) ?? `ms:${Math.round(Date.now() - process.uptime() * 1000)}`
  return ownStartTime
}

/** This process, as recorded in run locks and container labels. */
export function currentProcess(): ProcessIdentity {
  return {pid: process.pid, startTime: processStartTime(), host: os.hostname()}
}

/** Whether a process with this pid exists on this machine (a process we may not signal still exists). */
export function pidExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  // A killed process stays a zombie until its parent reaps it: it still has a pid but runs nothing.
  const state = statFields(pid)?.[0]
  return state !== 'Z' && state !== 'X'
}

/** Another process's start time as `processStartTime` reports it there; undefined when it cannot be read (not Linux, gone). */
export function startTimeOf(pid: number): string | undefined {
  return statFields(pid)?.[19]
}

/** Fields 3 onwards of /proc/<pid>/stat (state, ppid, ..., starttime at index 19); undefined off Linux. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses, so count after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}
