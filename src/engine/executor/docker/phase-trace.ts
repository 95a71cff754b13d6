import {appendFileSync} from 'node:fs'

/** A phase of a job's container life, as `ORCA_TRACE` records it (docs/performance.md, "Where a chain's time goes"). */
export type Phase = 'image' | 'create' | 'start' | 'copy-in' | 'copy-needs' | 'services' | `step ${number}` | 'volumes-in' | 'volumes-out' | 'collect' | 'remove' | 'keep'

/**
 * A phase of the run around its jobs, recorded without a job: `boot` (the process's start to the
 * pipeline being read: node, orca's modules, finding the project), `prepare` (reading and planning),
 * `open` (listing the project, the run directory, the cache), `executor` (reaching the engine), `jobs`
 * (the first job started to the last settled), `finish` (the containers' removal and the cache's
 * uploads awaited), `record` (the attestation and `run.finished` written).
 */
export type RunPhase = 'boot' | 'prepare' | 'open' | 'executor' | 'jobs' | 'finish' | 'record'

/** One line of the trace file: when a phase began (ms since the epoch) and how long it took. */
export interface PhaseRecord {
  run: string
  /** Absent on a phase of the run itself. */
  job?: string
  phase: Phase | RunPhase
  /** True when the phase ran ahead of the job's needs ending (a pre-started container). */
  early?: true
  at: number
  ms: number
}

/**
 * Times the phases of jobs' containers and appends them, one JSON line each, to the file
 * `ORCA_TRACE` names. Off (every call a pass-through) when the variable is unset: a debug aid for
 * finding where a run's time goes, not a record (the run directory is that).
 */
export class PhaseTrace {
  static fromEnv(env: NodeJS.ProcessEnv = process.env): PhaseTrace {
    const file = env.ORCA_TRACE?.trim()
    return new PhaseTrace(file ? file : undefined)
  }

  constructor(private readonly file: string | undefined) {}

  get on(): boolean {
    return this.file !== undefined
  }

  /** Awaits `work`, recording its duration under `phase` (also when it throws). */
  async time<T>(where: {run: string; job: string; early?: boolean}, phase: Phase, work: Promise<T> | (() => Promise<T>)): Promise<T> {
    if (this.file === undefined) return typeof work === 'function' ? work() : work
    const at = Date.now()
    try {
      return await (typeof work === 'function' ? work() : work)
    } finally {
      this.write({run: where.run, job: where.job, phase, ...(where.early ? {early: true as const} : {}), at, ms: Date.now() - at})
    }
  }

  /** Records a phase of the run itself that began at `at` (ms since the epoch) and ended at `end` (default: now). */
  mark(run: string, phase: RunPhase, at: number, end = Date.now()): void {
    if (this.file !== undefined) this.write({run, phase, at: Math.round(at), ms: Math.round(end - at)})
  }

  private write(record: PhaseRecord): void {
    // A trace that cannot be written never fails a job: it is a debug aid.
    try {
      appendFileSync(this.file!, `${JSON.stringify(record)}\n`)
    } catch {
      // ignored
    }
  }
}
