import {randomBytes} from 'node:crypto'
import {Transform, type Duplex, type Readable} from 'node:stream'
import type Docker from 'dockerode'
import {OrcaError} from '../../errors.js'
import {withTimeout} from './call.js'
import {execExitCode, type ExecOptions} from './exec.js'
import {COLLECT_SCRIPT, splitFrames, stderrTail} from './exec-tar.js'
import {MarkerScanner} from './container-output.js'

/*
 * One exec per job on a chain (docs/performance.md, "One exec per job"): the needs' artifacts go in,
 * and the artifacts come out, through the exec that runs the step, not through execs of their own.
 *
 * Needs in (the first step): the exec's stdin carries the needs' archive, which the exec's own shell
 * extracts at `/` before it starts the step; the archive's last entry is an empty file named after
 * this exec's frame (see `needsSentinel`), so an archive cut short (a file orca could not read) is
 * told from a whole one even where tar takes the cut as an end. The shell then writes `<frame>:in` on
 * stdout and runs the step with stdin from /dev/null (as steps always had: no stdin); a failed
 * extraction writes tar's message and `<frame>:x<code>` instead and never starts the step. The step
 * cannot write before its start, so the first frame on stdout is always the shell's. `step.started`
 * is told once `:in` arrives, and the step's duration and timeout count from then: the transfer is
 * not the step's (ORCA_TRACE times it as `copy-needs`, as before).
 *
 * Artifacts out (the last step, where steps write to the container's output): once the step exits 0,
 * the shell writes `<frame>:out` on the exec's stdout and then the tar of the collection (the same
 * command as the exec of tar runs for it), tar's exit code last on stderr. The step itself writes to
 * the container's output (its stderr joined to it), so the exec's stdout holds, before the frame,
 * only the wrapping shells' own words (passed on as the step's output, as before) and after it only
 * the archive, which goes to the collector and never to a log. A step that fails writes no frame: its
 * job's collection (on_failure, always) is the one it always was. The frame is random per exec, but
 * the step can read it from its shell's command line: a step that forges it can only hand the
 * collector an archive of files it chose, which it could as well have written into the workdir, and
 * the collector reads it with the same checks (names, links, sizes, counts); the real archive after it
 * then breaks the frame or tar's exit code, and a broken frame fails the collection as a failed
 * collection always did.
 */

/**
 * $1 frame, $2 1 when the needs come on stdin, $3 the sentinel, $4 $5 the collection's folder and name
 * (empty: none), then the step's command. TAR_OPTIONS is the job's env, not tar's to read. What tar
 * leaves of stdin (the archive's padding, or all of it after a failure) is read to its end: an exec
 * that ends with input unread loses output it wrote last on Podman (seen: tar's message, 1 run in 8).
 */
const FOLD_SCRIPT =
  'f=$1 x=$2 t=$3 d=$4 n=$5; shift 5; ' +
  `if [ "$x" = 1 ]; then e=$( (unset TAR_OPTIONS; tar -xf - -C /) 2>&1 ); c=$?; { cat || while IFS= read -r _; do :; done; } >/dev/null 2>&1; ` +
  `if [ "$c" = 0 ] && ! rm -- "$t" 2>/dev/null; then c=1 e="the archive was cut short"; fi; ` +
  `[ "$c" = 0 ] || { printf '%s\\n%s:x%s\\n' "$e" "$f" "$c"; exit 1; }; printf '%s:in\\n' "$f"; fi; ` +
  '[ -n "$d" ] || exec "$@" </dev/null 2>&1; ' +
  '"$@" </dev/null 2>&1; s=$?; [ "$s" = 0 ] || exit "$s"; ' +
  `printf '%s:out\\n' "$f"; set -- "$d" "$n"; (unset TAR_OPTIONS; ${COLLECT_SCRIPT}); exit 0`

/** The most of a failed extraction's message kept. */
const MESSAGE_BYTES = 4096

/** A fresh frame for one exec: unguessable, so the step's output cannot end its own early by accident. */
export function foldFrame(): string {
  return `[orca:fold:${randomBytes(16).toString('hex')}]`
}

/** The empty file the needs' archive ends with, in the workdir (removed at once by the exec's shell). */
export function needsSentinel(workdir: string, frame: string): string {
  return `${workdir.replace(/\/+$/, '')}/.orca-needs-${frame.slice(11, -1)}`
}

export interface FoldOptions extends ExecOptions {
  frame: string
  /** The needs' archive (ending with the sentinel's entry) and its completion. */
  needs?: {stream: Readable; done: Promise<void>}
  /** What to collect after the step when it exits 0: an absolute path, as ExecTar.fetch takes it. */
  collect?: string
  /** Called once the step starts: at once without needs, or once they are in. */
  onStarted(): void
}

export interface FoldResult {
  /** The step's exit code; null when unknown (the process was abandoned). */
  exitCode: number | null
  /** False when the exec was abandoned before the needs were in (the step never started). */
  started: boolean
  /** The collection's tar stream, when the step exited 0 and one was asked for; fails when tar or its frame does. */
  artifacts?: FoldedArchive
}

/** The archive read from a step's exec after it: read it through `fetch`, or `discard` it. */
export interface FoldedArchive {
  /** The stream for `source` (what was asked for); a `signal` abort destroys it. */
  fetch(container: Docker.Container, source: string, signal?: AbortSignal): Promise<Readable>
  discard(): void
}

/** A failed extraction of the needs in a step's exec: the job fails as a failed transfer does. */
export class NeedsTransferError extends OrcaError {
  constructor(message: string) {
    super('infra', message)
  }
}

/**
 * Runs a step's command with its needs in and its collection out in the same exec (see above);
 * `cmd` is the step's command as execInContainer takes it.
 */
export async function execFoldedStep(docker: Docker, container: Docker.Container, options: FoldOptions): Promise<FoldResult> {
  const sentinel = options.needs ? needsSentinel(options.workdir, options.frame) : ''
  const cut = options.collect?.lastIndexOf('/') ?? -1
  const [folder, name] = options.collect === undefined ? ['', ''] : [options.collect.slice(0, cut) || '/', options.collect.slice(cut + 1)]
  const exec = await withTimeout(
    container.exec({
      Cmd: ['sh', '-c', FOLD_SCRIPT, 'sh', options.frame, options.needs ? '1' : '0', sentinel, folder, name, ...options.cmd],
      Env: Object.entries(options.env).map(([key, value]) => `${key}=${value}`),
      WorkingDir: options.workdir,
      AttachStdin: options.needs !== undefined,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    }),
    'exec create',
  )
  const stream = await withTimeout(exec.start({hijack: true, stdin: options.needs !== undefined, Tty: false}), 'exec start')
  const frames = new FoldFrames(options.frame, options.needs !== undefined, options.onOutput)
  const ended = new Promise<void>((resolve, reject) => {
    stream.once('end', resolve)
    stream.once('close', resolve)
    stream.once('error', reject)
  })
  ended.catch(() => undefined)
  stream.on('error', (error) => frames.destroy(error))
  // A stream closed without its end still ends the frames: what arrived says whether the archive is whole.
  stream.on('close', () => {
    if (!frames.writableEnded && !frames.destroyed) frames.end()
  })
  stream.pipe(frames)
  if (options.needs) {
    // A file that cannot be read cuts the archive short: the exec is dropped and the step never starts.
    options.needs.stream.on('error', (error) => stream.destroy(error))
    options.needs.stream.pipe(stream)
  }
  const abandoned = options.abandon.then(() => 'abandoned' as const)

  if (options.needs) {
    const first = await Promise.race([frames.started, ended.then(() => 'ended' as const, () => 'ended' as const), abandoned])
    if (first === 'abandoned') return drop(stream, false)
    if (first !== 'in') {
      stream.destroy()
      // The archive's own failure says more than tar's view of its cut.
      await options.needs.done
      const failed = typeof first === 'object' ? first : {code: await execExitCode(exec), message: frames.preludeText()}
      throw new NeedsTransferError(`tar in the container could not write the inputs (exit code ${failed.code}): ${failed.message}`)
    }
  }
  options.onStarted()
  const outcome = await Promise.race([frames.collecting.then(() => 'collecting' as const), ended.then(() => 'ended' as const), abandoned])
  if (outcome === 'abandoned') return drop(stream, true)
  if (outcome === 'collecting' && options.collect !== undefined) {
    return {exitCode: 0, started: true, artifacts: foldedArchive(stream, frames, options.collect)}
  }
  frames.flushOutput()
  return {exitCode: await execExitCode(exec), started: true}
}

function drop(stream: Duplex, started: boolean): FoldResult {
  stream.destroy()
  return {exitCode: null, started}
}

function foldedArchive(stream: Duplex, frames: FoldFrames, collect: string): FoldedArchive {
  let taken = false
  return {
    fetch: async (_container, source, signal) => {
      if (taken || source !== collect) throw new OrcaError('infra', `the step's exec collected ${collect}, not ${source}`)
      taken = true
      const onAbort = (): void => {
        stream.destroy()
        frames.destroy(signal?.reason instanceof Error ? signal.reason : new Error('stopped'))
      }
      if (signal?.aborted) onAbort()
      signal?.addEventListener('abort', onAbort, {once: true})
      frames.on('close', () => signal?.removeEventListener('abort', onAbort))
      return frames
    },
    discard: () => {
      if (taken) return
      taken = true
      stream.destroy()
      frames.destroy()
    },
  }
}

/** Where the exec's stdout is: before the step, the step's, the archive, or past a failed prelude (nothing more is read). */
type Phase = 'prelude' | 'step' | 'archive' | 'over'

/**
 * Reads a folded exec's multiplexed stream: the prelude (up to `<frame>:in` or `:x<code>`), the step's
 * words (to `onOutput`, up to `<frame>:out`), then the archive, which is what this stream passes on.
 * Its end fails unless tar's exit code on stderr says 0. Stderr (nothing of the step's: it is joined
 * to stdout) is kept for tar's message; should the exec end without an archive, it goes to `onOutput`.
 */
export class FoldFrames extends Transform {
  readonly started: Promise<'in' | {code: number; message: string}>
  readonly collecting: Promise<void>
  private phase: Phase
  private pending: Buffer = Buffer.alloc(0)
  private prelude: Buffer = Buffer.alloc(0)
  private readonly scanner: MarkerScanner
  private readonly stderr = stderrTail()
  private settleStarted!: (value: 'in' | {code: number; message: string}) => void
  private settleCollecting!: () => void

  constructor(
    private readonly frame: string,
    needs: boolean,
    private readonly onOutput: ExecOptions['onOutput'],
  ) {
    super()
    this.phase = needs ? 'prelude' : 'step'
    this.scanner = new MarkerScanner(Buffer.from(`${frame}:out\n`))
    this.started = new Promise((resolve) => {
      this.settleStarted = resolve
    })
    this.collecting = new Promise((resolve) => {
      this.settleCollecting = resolve
    })
  }

  /** What the shell wrote before its prelude's frame: tar's message. */
  preludeText(): string {
    return this.prelude.subarray(0, MESSAGE_BYTES).toString('utf8').trim()
  }

  /** The exec ended without an archive: what is held back, and anything on stderr, is the step's. */
  flushOutput(): void {
    const held = this.scanner.flush()
    if (held.length > 0) this.onOutput('stdout', held)
    const text = this.stderr.bytes()
    if (text.length > 0) this.onOutput('stderr', text)
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending = splitFrames(this.pending, chunk, (stream, payload) => {
      if (stream === 'stderr') this.stderr.sink.write(payload)
      else this.stdout(payload)
    })
    callback()
  }

  override _flush(callback: (error?: Error | null) => void): void {
    if (this.phase !== 'archive') return callback()
    if (this.pending.length > 0) return callback(new OrcaError('infra', 'the exec stream of the step ended inside a frame'))
    const code = this.stderr.exitCode()
    if (code === 0) return callback()
    const why = code === undefined ? 'its archive ended without tar reporting an exit code' : `tar exited with code ${code}: ${this.stderr.text()}`
    callback(new OrcaError('infra', `tar in the container could not read the artifacts after the step: ${why}`))
  }

  private stdout(payload: Buffer): void {
    if (this.phase === 'archive') {
      this.push(payload)
      return
    }
    if (this.phase === 'over') return
    if (this.phase === 'prelude') {
      this.prelude = Buffer.concat([this.prelude, payload])
      const at = this.prelude.indexOf(this.frame)
      const newline = at === -1 ? -1 : this.prelude.indexOf(0x0a, at)
      if (newline === -1) {
        // tar's message: its start is enough; the frame itself is short.
        if (this.prelude.length > 2 * MESSAGE_BYTES) this.prelude = Buffer.concat([this.prelude.subarray(0, MESSAGE_BYTES), this.prelude.subarray(-MESSAGE_BYTES)])
        return
      }
      const word = this.prelude.subarray(at + this.frame.length, newline).toString()
      const rest = this.prelude.subarray(newline + 1)
      this.prelude = this.prelude.subarray(0, at)
      if (word !== ':in') {
        this.settleStarted({code: Number(word.slice(2)) || 1, message: this.preludeText()})
        this.phase = 'over'
        return
      }
      this.phase = 'step'
      this.settleStarted('in')
      if (rest.length === 0) return
      payload = Buffer.from(rest)
    }
    const {before, after} = this.scanner.push(payload)
    if (before.length > 0) this.onOutput('stdout', before)
    if (after === undefined) return
    this.phase = 'archive'
    this.settleCollecting()
    if (after.length > 0) this.push(after)
  }
}
