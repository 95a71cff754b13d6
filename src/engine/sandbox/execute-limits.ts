import type {ExecuteCaps} from '../config/types.js'
import {OrcaError} from '../errors.js'

export {DEFAULT_EXECUTE_CAPS} from '../config/layers.js'
export type {ExecuteCaps}

/** The limits one execution runs under. */
export interface ExecuteLimits {
  timeoutMs: number
  memoryBytes: number
  cpus: number
  pids: number
  outputBytes: number
  network: boolean
}

export type RequestedLimits = Partial<ExecuteLimits>

/** Which limit ended an execution: what the caller should raise (or fix) to get a result. */
export type LimitHit = 'timeout' | 'memory' | 'output' | 'pids' | null

/**
 * The limits of a request: each value it gives, if within the cap; the cap where it gives none. A
 * value over its cap is refused, never lowered silently: the caller would get a result it did not ask for.
 */
export function resolveLimits(requested: RequestedLimits, caps: ExecuteCaps): ExecuteLimits {
  const pick = (name: keyof Omit<ExecuteLimits, 'network'>, cap: number): number => {
    const value = requested[name]
    if (value === undefined) return cap
    if (value > cap) throw new OrcaError('usage', `limits.${name} ${value} is over the server's cap of ${cap}`)
    return value
  }
  if (requested.network === true && !caps.network) throw new OrcaError('usage', 'limits.network: this server gives executions no network (serve.execute.network is false)')
  return {
    timeoutMs: pick('timeoutMs', caps.maxTimeoutMs),
    memoryBytes: pick('memoryBytes', caps.maxMemoryBytes),
    cpus: pick('cpus', caps.maxCpus),
    pids: pick('pids', caps.maxPids),
    outputBytes: pick('outputBytes', caps.maxOutputBytes),
    network: requested.network === true,
  }
}

/** What was observed of an execution that ended, in the order the limits are judged. */
export interface ExecutionSigns {
  /** orca stopped it: output over the cap. */
  outputExceeded: boolean
  /** orca stopped it: the time was up. */
  timedOut: boolean
  /** The engine says, or the cgroup's own count shows, that the kernel's OOM killer ended a process of it. */
  oomKilled: boolean
  /** Forks the pids limit refused (the cgroup's pids.events `max` count), when it could be read. */
  pidsRefused: number | undefined
}

/**
 * The limit an execution hit. orca's own stops come first (they explain the end for certain), then
 * the kernel's: an OOM kill, then forks refused at the pids limit (a program that handles a refused
 * fork may still exit 0, and is reported anyway: it did not get what it asked for).
 */
export function classifyLimit(signs: ExecutionSigns): LimitHit {
  if (signs.outputExceeded) return 'output'
  if (signs.timedOut) return 'timeout'
  if (signs.oomKilled) return 'memory'
  if ((signs.pidsRefused ?? 0) > 0) return 'pids'
  return null
}

/**
 * stdout and stderr of one execution, kept up to a shared cap. `onOver` fires once, when the total
 * goes past the cap plus `slack` (room for orca's own last line on stderr).
 */
export class CappedOutput {
  private readonly chunks = {stdout: [] as Buffer[], stderr: [] as Buffer[]}
  private kept = 0
  private total = 0
  private fired = false

  constructor(
    private readonly cap: number,
    private readonly slack: number,
    private readonly onOver: () => void,
  ) {}

  write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    this.total += chunk.length
    const room = this.cap + this.slack - this.kept
    if (room > 0) {
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room)
      this.chunks[stream].push(part)
      this.kept += part.length
    }
    if (!this.fired && this.total > this.cap + this.slack) {
      this.fired = true
      this.onOver()
    }
  }

  get overflowed(): boolean {
    return this.fired
  }

  text(stream: 'stdout' | 'stderr'): Buffer {
    return Buffer.concat(this.chunks[stream])
  }
}

/** A path under the execution's workdir as a request names it: relative, `/`-separated, no `..`. */
export function workdirPath(file: string, what: string): string {
  const parts = file.split('/').filter((part) => part !== '' && part !== '.')
  if (file.startsWith('/') || file.includes('\\') || file.includes('\0') || parts.length === 0 || parts.some((part) => part === '..')) {
    throw new OrcaError('usage', `${what}: expected a path relative to the workdir, without "..", got ${JSON.stringify(file)}`)
  }
  return parts.join('/')
}
