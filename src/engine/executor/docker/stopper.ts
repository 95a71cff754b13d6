import {setTimeout as sleep} from 'node:timers/promises'
import type Docker from 'dockerode'
import {withTimeout} from './call.js'

export type StopReason = 'timed_out' | 'cancelled'

/** How long to wait for the daemon to end a killed container's streams before giving up on them. */
const ABANDON_AFTER_KILL_MS = 5_000

/**
 * Stops a job's container once, for the first reason given: SIGTERM, then SIGKILL after the grace
 * period (or SIGKILL at once when forced). Steps see their exec stream end when the container dies.
 */
export class ContainerStopper {
  reason?: StopReason
  message?: string
  /** Set when the engine stopped answering: nothing more will come from it. */
  lost?: string
  /** Settles once the caller should stop waiting for the container's streams. */
  readonly abandon: Promise<void>
  /** Resolves only when the engine is lost: what collecting from a stopped container still races. */
  readonly gone: Promise<void>
  private signalGone!: () => void
  /** Aborted at the first stop, kill or loss: work before the container exists (services starting) ends then. */
  readonly stoppedSignal: AbortSignal
  private readonly stopped = new AbortController()
  private container?: Docker.Container
  private killTimer?: NodeJS.Timeout
  private pending?: 'TERM' | 'KILL'
  private signalAbandon!: () => void
  private killed = false
  /**
   * Set when the job's steps run in its main process's foreground (attached-steps.ts): that shell runs
   * its trap only once the step ends, so SIGTERM also goes to every process through an exec.
   */
  signalsEveryProcess = false

  constructor(private readonly graceMs: number) {
    this.abandon = new Promise((resolve) => {
      this.signalAbandon = resolve
    })
    this.gone = new Promise((resolve) => {
      this.signalGone = resolve
    })
    this.stoppedSignal = this.stopped.signal
  }

  /** The container exists now: deliver any stop requested before it did. */
  attach(container: Docker.Container): void {
    this.container = container
    if (this.pending === 'KILL') this.sendKill()
    else if (this.pending === 'TERM') this.sendTerm()
  }

  /** Graceful stop: SIGTERM now, SIGKILL after the grace period. The first reason wins. */
  stop(reason: StopReason, message: string): void {
    if (this.reason === undefined) {
      this.reason = reason
      this.message = message
    }
    this.stopped.abort()
    if (this.pending) return
    this.pending = 'TERM'
    if (this.container) this.sendTerm()
  }

  /** Immediate SIGKILL (a second Ctrl-C). */
  kill(reason: StopReason, message: string): void {
    if (this.reason === undefined) {
      this.reason = reason
      this.message = message
    }
    this.stopped.abort()
    this.pending = 'KILL'
    if (this.container) this.sendKill()
  }

  /** The engine is gone or hung: stop waiting for its streams now (the job ends as an infra failure). */
  lose(message: string): void {
    if (this.lost !== undefined) return
    this.lost = message
    this.stopped.abort()
    clearTimeout(this.killTimer)
    this.signalAbandon()
    this.signalGone()
  }

  /**
   * The container was removed from under the job: the job ends as when the engine is lost, unless orca
   * itself stopped it (a timeout or a cancel, whose container the engine may remove once it stops).
   */
  removed(message: string): void {
    if (this.reason === undefined) this.lose(message)
  }

  dispose(): void {
    clearTimeout(this.killTimer)
  }

  private sendTerm(): void {
    void this.signal('SIGTERM')
    if (this.signalsEveryProcess) void this.termEveryProcess()
    this.killTimer = setTimeout(() => this.sendKill(), this.graceMs)
  }

  private sendKill(): void {
    clearTimeout(this.killTimer)
    if (this.killed) return
    this.killed = true
    void this.signal('SIGKILL').then(async () => {
      // Unref'd: a process whose work is done does not wait for a safety net it no longer needs.
      await sleep(ABANDON_AFTER_KILL_MS, undefined, {ref: false})
      this.signalAbandon()
    })
  }

  /** `kill -TERM -1` in the container: every process but init and the exec's own shell. */
  private async termEveryProcess(): Promise<void> {
    // An exec the engine refuses (the container already ending) leaves SIGKILL after the grace period, as for any step.
    await withTimeout(
      (async () => {
        const exec = await this.container!.exec({Cmd: ['sh', '-c', 'kill -TERM -1'], User: '0', AttachStdout: false, AttachStderr: false})
        await exec.start({Detach: true})
      })(),
      'signal every process',
      10_000,
    ).catch(() => undefined)
  }

  private async signal(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    // A container that already exited answers 409; the daemon being gone surfaces in the step instead.
    await withTimeout(this.container!.kill({signal}), `kill ${signal}`, 10_000).catch(() => undefined)
  }
}
