import {randomBytes} from 'node:crypto'
import {Writable, type Duplex} from 'node:stream'
import type Docker from 'dockerode'
import {AttachedShell} from './attached-steps.js'
import {withTimeout} from './call.js'
import {OUTPUT_READY, TAKES_ORDERS} from './container-spec.js'
import {splitFrames} from './exec-tar.js'
import {demux, type OutputListener, type StreamName} from './exec.js'

/** Output a background process writes while no step runs, kept for the next step (per stream). */
const MAX_IDLE_BYTES = 1024 * 1024

/** The keep-alive shell's first line is short; anything longer is not it. */
const MAX_HANDSHAKE_BYTES = 256

const EMPTY = Buffer.alloc(0)
const STREAMS: readonly StreamName[] = ['stdout', 'stderr']

/**
 * Splits a byte stream at the first occurrence of a marker. A tail that could be the start of the
 * marker is held back until the next chunk decides it, so a marker split across chunks is found.
 */
export class MarkerScanner {
  private held: Buffer = EMPTY

  constructor(private readonly marker: Buffer) {}

  /** The bytes known to come before the marker; `after` is set once the marker was found (what follows it). */
  push(chunk: Buffer): {before: Buffer; after?: Buffer} {
    const data = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk])
    this.held = EMPTY
    const at = data.indexOf(this.marker)
    if (at !== -1) return {before: data.subarray(0, at), after: data.subarray(at + this.marker.length)}
    const keep = this.partialTail(data)
    // A copy: the chunk's memory may be reused by the stream that produced it.
    if (keep > 0) this.held = Buffer.from(data.subarray(data.length - keep))
    return {before: data.subarray(0, data.length - keep)}
  }

  /** Whatever was held back; call when the marker will not come. */
  flush(): Buffer {
    const held = this.held
    this.held = EMPTY
    return held
  }

  /** Length of the longest end of `data` that is a proper start of the marker. */
  private partialTail(data: Buffer): number {
    const first = this.marker[0]!
    for (let k = Math.min(this.marker.length - 1, data.length); k > 0; k--) {
      if (data[data.length - k] === first && data.subarray(data.length - k).equals(this.marker.subarray(0, k))) return k
    }
    return 0
  }
}

/** A fresh end-of-step marker: unguessable, so a step cannot end its own output early by accident. */
export function stepMarker(): string {
  return `[orca:step-end:${randomBytes(16).toString('hex')}]`
}

interface StepWindow {
  listener: OutputListener
  scanners: Record<StreamName, MarkerScanner>
  open: Set<StreamName>
  resolve: () => void
}

/** A step's view of the container's output: wait for its end marker, or stop routing to it. */
export interface StepOutput {
  /** Resolves once the marker ended both streams, `timeoutMs` passed or `abandon` settled. */
  finished(timeoutMs: number, abandon: Promise<void>): Promise<void>
  close(): void
}

/**
 * Sorts the container's output (as demultiplexed chunks) between steps. The keep-alive shell's first
 * line on each stream is the handshake; after it, a step's output runs until its marker line.
 * Output that arrives between steps (from a background process) goes to the next step.
 */
export class OutputRouter {
  /** Resolves true when the handshake says steps can write here, false when it says otherwise or the stream ended. */
  readonly ready: Promise<boolean>
  /** The handshake said the main process takes steps on its stdin (attached-steps.ts). */
  takesOrders = false
  private relay = false
  private ended = false
  private readonly handshake: Record<StreamName, {line: Buffer; done: boolean}> = {
    stdout: {line: EMPTY, done: false},
    stderr: {line: EMPTY, done: false},
  }
  private settleHandshake!: (relay: boolean) => void
  private readonly idle: Record<StreamName, Buffer[]> = {stdout: [], stderr: []}
  private readonly idleBytes: Record<StreamName, number> = {stdout: 0, stderr: 0}
  private window?: StepWindow

  constructor() {
    this.ready = new Promise((resolve) => {
      this.settleHandshake = resolve
    })
  }

  /** Routes output to `listener` until `marker` (a line of its own making) ends it on both streams. */
  openStep(marker: string, listener: OutputListener): StepOutput {
    const token = Buffer.from(`${marker}\n`)
    let resolve!: () => void
    const ended = new Promise<void>((r) => {
      resolve = r
    })
    const window: StepWindow = {
      listener,
      scanners: {stdout: new MarkerScanner(token), stderr: new MarkerScanner(token)},
      open: new Set(STREAMS),
      resolve,
    }
    if (this.window) this.closeWindow(this.window)
    this.window = window
    for (const name of STREAMS) {
      const pending = this.idle[name]
      this.idle[name] = []
      this.idleBytes[name] = 0
      for (const chunk of pending) this.receive(name, chunk)
    }
    if (this.ended) this.closeWindow(window)
    return {
      finished: async (timeoutMs, abandon) => within(ended, timeoutMs, abandon, undefined),
      close: () => this.closeWindow(window),
    }
  }

  receive(name: StreamName, chunk: Buffer): void {
    if (!this.relay) return this.readHandshake(name, chunk)
    const window = this.window
    if (!window || !window.open.has(name)) return this.keepIdle(name, chunk)
    const {before, after} = window.scanners[name].push(chunk)
    if (before.length > 0) window.listener(name, before)
    if (after === undefined) return
    window.open.delete(name)
    if (window.open.size === 0) this.closeWindow(window)
    if (after.length > 0) this.receive(name, after)
  }

  /** The container's output ended (the container stopped, or orca let go of it). */
  end(): void {
    if (this.ended) return
    this.ended = true
    this.settleHandshake(false)
    if (this.window) this.closeWindow(this.window)
  }

  /** The keep-alive shell's first line on each stream says whether steps can write here. */
  private readHandshake(name: StreamName, chunk: Buffer): void {
    const state = this.handshake[name]
    if (state.done) return
    state.line = Buffer.concat([state.line, chunk])
    const newline = state.line.indexOf(0x0a)
    if (newline === -1) {
      if (state.line.length > MAX_HANDSHAKE_BYTES) this.settleHandshake(false)
      return
    }
    state.done = true
    const rest = state.line.subarray(newline + 1)
    const line = state.line.subarray(0, newline).toString()
    if (name === 'stdout' && line === OUTPUT_READY + TAKES_ORDERS) this.takesOrders = true
    else if (line !== OUTPUT_READY) return this.settleHandshake(false)
    if (rest.length > 0) this.keepIdle(name, Buffer.from(rest))
    if (this.handshake.stdout.done && this.handshake.stderr.done) {
      this.relay = true
      this.settleHandshake(true)
    }
  }

  private keepIdle(name: StreamName, chunk: Buffer): void {
    if (this.idleBytes[name] + chunk.length > MAX_IDLE_BYTES) return
    this.idle[name].push(Buffer.from(chunk))
    this.idleBytes[name] += chunk.length
  }

  private closeWindow(window: StepWindow): void {
    if (this.window === window) this.window = undefined
    for (const name of window.open) {
      const held = window.scanners[name].flush()
      if (held.length > 0) window.listener(name, held)
    }
    window.open.clear()
    window.resolve()
  }
}

/**
 * The output of a job's container, read through one `attach` for the whole job. Steps write their
 * stdout and stderr there rather than to their exec's own streams (see `stepCommand`): a background
 * process a step leaves behind then holds the container's output, which lasts as long as the job,
 * instead of the exec's. Docker keeps an exec's stream open for 2 s after its process exits while
 * anything else holds it, and holds back the end of the container's next exec meanwhile.
 */
export class ContainerOutput {
  private readonly router = new OutputRouter()
  /** The orders side of a container made `takingOrders` (attached-steps.ts): its stdin, and the answers on its stderr. */
  private readonly shell?: AttachedShell

  private constructor(
    private readonly stream: Duplex,
    token?: string,
  ) {
    if (token !== undefined) this.shell = new AttachedShell(stream, token, (chunk) => this.router.receive('stderr', chunk))
  }

  /**
   * Attaches to a created container's stdout and stderr; call before starting it, so nothing is missed.
   * With `token`, also to its stdin (a container made `takingOrders`), where the token goes first.
   */
  static async attach(docker: Docker, container: Docker.Container, token?: string): Promise<ContainerOutput> {
    const stdin = token !== undefined
    const stream = (await withTimeout(container.attach({stream: true, stdin, stdout: true, stderr: true, hijack: true}), 'attach container')) as Duplex
    const output = new ContainerOutput(stream, token)
    const shell = output.shell
    if (shell === undefined) demux(docker, stream, (name, chunk) => output.router.receive(name, chunk))
    else {
      // After a newline: what Podman passes on before it (the attach request's body) is a line of its own.
      stream.write(`\n${token}\n`)
      // Piped rather than demuxStream: an archive on stderr holds the stream back while its reader is busy.
      let pending: Buffer = Buffer.alloc(0)
      stream.pipe(
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            let hold: Promise<void> | undefined
            pending = splitFrames(pending, chunk, (name, payload) => {
              if (name === 'stdout') output.router.receive('stdout', payload)
              else hold = shell.receive(payload) ?? hold
            })
            if (hold === undefined) callback()
            else void hold.then(() => callback())
          },
        }),
      )
      stream.once('close', () => shell.end())
      stream.once('end', () => shell.end())
      stream.once('error', () => shell.end())
    }
    const end = (): void => output.router.end()
    stream.once('end', end)
    stream.once('close', end)
    stream.once('error', end)
    return output
  }

  /**
   * True once the container said its steps can write to its output; false when it cannot (steps
   * then write to their exec, and this stops reading) or said nothing within `timeoutMs`.
   */
  async ready(timeoutMs: number, abandon: Promise<void>): Promise<boolean> {
    const relay = await within(this.router.ready, timeoutMs, abandon, false)
    // A main process reading its stdin would end with it: the attach is kept until the job lets go.
    if (!relay && this.shell === undefined) this.dispose()
    return relay
  }

  /** Where the job's steps can go instead of execs, once `ready` said so: the main process's orders (attached-steps.ts). */
  get orders(): AttachedShell | undefined {
    return this.router.takesOrders ? this.shell : undefined
  }

  openStep(marker: string, listener: OutputListener): StepOutput {
    return this.router.openStep(marker, listener)
  }

  /** Stops reading the container's output. */
  dispose(): void {
    this.stream.destroy()
  }
}

/** `promise`'s value, or `fallback` once `ms` passed or `abandon` settled, whichever comes first. */
async function within<T>(promise: Promise<T>, ms: number, abandon: Promise<void>, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms)
  })
  try {
    return await Promise.race([promise, late, abandon.then(() => fallback)])
  } finally {
    clearTimeout(timer)
  }
}
