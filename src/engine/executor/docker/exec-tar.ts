import {Readable, Transform, Writable, type Duplex} from 'node:stream'
import type Docker from 'dockerode'
import {OrcaError} from '../../errors.js'
import {withTimeout} from './call.js'
import {execExitCode} from './exec.js'

/**
 * Small transfers through an exec of `tar` in the job's container instead of the engine's archive
 * calls (docs/performance.md, "Transfers through tar in the container"): Engine 20.10 runs each
 * archive call in a re-executed dockerd chrooted into the container, 100–400 ms under load for a
 * few bytes; an exec costs a fraction of that. What is read from the container goes through the
 * same checks either way (archive/extract.ts); the archive calls stay the path of images without a
 * usable tar.
 */


/**
 * Written last on stderr with tar's exit code: the code arrives with the stream, which spares the
 * engine an inspect of the exec per transfer (the inspect remains for a stream without it).
 */
export const EXIT_MARK = 'orca-tar-exit:'
const REPORT_EXIT = `printf '\\n${EXIT_MARK}%s' "$?" >&2`

/**
 * `tar -c` of `$2` in the folder `$1`, named as getArchive names it (the path's last component, then
 * what is below it; a leading `./`, which the reader drops, keeps a name starting with `-` a name).
 * Nothing there: an empty stream, as a 404 of getArchive means no file matched.
 */
export const COLLECT_SCRIPT = `if cd -- "$1" 2>/dev/null && { [ -e "$2" ] || [ -L "$2" ]; }; then tar -cf - "./$2"; else true; fi; ${REPORT_EXIT}`

/** `tar -x` of stdin at `/`, as putArchive at `/` extracts. */
const PUT = `tar -xf - -C /; ${REPORT_EXIT}`

/**
 * Proves, fed an empty archive, that the image's tar reads one from stdin, that the engine ends its
 * stdin when the archive ends (an engine that did not would leave every copy hanging), and that it
 * writes one to stdout (busybox tar does all three).
 */
const PROBE = `tar -xf - -C / && tar -cf - -C /etc ./hostname | tar -xOf - >/dev/null; ${REPORT_EXIT}`

/** How long the probe may take before the image is taken to have no usable tar. */
const PROBE_MS = 15_000

/** The most of a failing tar's stderr kept for its message. */
const STDERR_BYTES = 4096

/** Where a collection's archives come from instead of getArchive: an exec of tar, or a step's exec (step-fold.ts). */
export interface ArchiveSource {
  fetch(container: Docker.Container, source: string, signal?: AbortSignal): Promise<Readable>
}

export class ExecTar implements ArchiveSource {
  /** Whether each image has a usable tar, by image ID: probed once per image and remembered. */
  private readonly usable = new Map<string, Promise<boolean>>()

  constructor(private readonly docker: Docker) {}

  /**
   * True when transfers with `container` (of image `imageId`) can go through its tar. The first
   * container of an image runs the probe; a probe that cannot run (no sh, no tar) says no.
   */
  async usableIn(container: Docker.Container, imageId: string): Promise<boolean> {
    let known = this.usable.get(imageId)
    if (known === undefined) {
      // Two zero blocks: the end of an archive with nothing in it.
      const empty = Readable.from([Buffer.alloc(1024)])
      known = withTimeout(this.run(container, ['sh', '-c', PROBE], empty), 'probe tar', PROBE_MS).then(
        (result) => result.code === 0,
        () => false,
      )
      this.usable.set(imageId, known)
    }
    return known
  }

  /**
   * A tar stream of `source` (an absolute path) as getArchive gives it; the stream fails when tar
   * does. `signal` ends the exec's stream (the copy is being stopped).
   */
  async fetch(container: Docker.Container, source: string, signal?: AbortSignal): Promise<Readable> {
    const cut = source.lastIndexOf('/')
    const folder = source.slice(0, cut) || '/'
    const name = source.slice(cut + 1)
    const exec = await this.create(container, ['sh', '-c', COLLECT_SCRIPT, 'sh', folder, name], false)
    const stream = await withTimeout(exec.start({hijack: true, stdin: false, Tty: false}), 'exec start')
    const stderr = stderrTail()
    // Piped, not demuxStream: the archive may be large, and the reader's pace must hold the exec back.
    const out = stream.pipe(new StdoutFrames(stderr.sink))
    const onAbort = (): void => {
      stream.destroy()
      out.destroy(signal?.reason instanceof Error ? signal.reason : new Error('stopped'))
    }
    signal?.addEventListener('abort', onAbort, {once: true})
    out.on('close', () => signal?.removeEventListener('abort', onAbort))
    stream.on('error', (error) => out.destroy(error))
    // A stream closed without its end still ends the archive: tar's exit code then says whether it is whole.
    stream.on('close', () => {
      if (!out.writableEnded && !out.destroyed) out.end()
    })
    // The archive is complete only once tar says so: a failing tar fails the stream rather than end it.
    out.holdEnd = async () => {
      const code = stderr.exitCode() ?? (await execExitCode(exec))
      if (code !== 0) throw new OrcaError('infra', `tar in the container could not read ${source} (exit code ${code}): ${stderr.text()}`)
    }
    return out
  }

  /** Extracts `archive` at `/` in the container as root, like putArchive at `/`; rejects when tar fails. */
  async put(container: Docker.Container, archive: Readable): Promise<void> {
    const result = await this.run(container, ['sh', '-c', PUT], archive)
    if (result.code !== 0) throw new OrcaError('infra', `tar in the container could not write the inputs (exit code ${result.code}): ${result.stderr}`)
  }

  /** Runs `cmd` as root, feeding it `stdin` when given; its stdout is thrown away. */
  private async run(container: Docker.Container, cmd: string[], stdin?: Readable): Promise<{code: number | null; stderr: string}> {
    const exec = await this.create(container, cmd, stdin !== undefined)
    const stream = await withTimeout(exec.start({hijack: true, stdin: stdin !== undefined, Tty: false}), 'exec start')
    const stderr = stderrTail()
    this.docker.modem.demuxStream(stream, new Writable({write: (_chunk, _encoding, callback) => callback()}), stderr.sink)
    if (stdin !== undefined) {
      // The end of the archive ends tar's stdin: the engine closes the exec's stdin when the write side closes.
      stdin.on('error', (error) => stream.destroy(error))
      stdin.pipe(stream)
    }
    // A tar that fails stops reading: the rest of the archive then meets a closed connection (EPIPE).
    // tar's own exit code and message say why; a pipe broken while tar succeeded stays an error.
    let broken: unknown
    await ended(stream).catch((error: unknown) => {
      const code = (error as NodeJS.ErrnoException).code
      if (stdin === undefined || (code !== 'EPIPE' && code !== 'ECONNRESET')) throw error
      broken = error
    })
    const code = stderr.exitCode() ?? (await execExitCode(exec))
    if (broken !== undefined && (code === 0 || code === null)) throw broken
    return {code, stderr: stderr.text()}
  }

  private async create(container: Docker.Container, cmd: string[], stdin: boolean): Promise<Docker.Exec> {
    // Root, like the engine's own archive calls: it reads every file the job wrote and sets the owners the archive names.
    return withTimeout(
      container.exec({Cmd: cmd, User: '0', WorkingDir: '/', AttachStdin: stdin, AttachStdout: true, AttachStderr: true, Tty: false}),
      'exec create',
    )
  }
}

/** Settles when the exec's stream is over; rejects when it fails. */
function ended(stream: Duplex): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    stream.once('end', resolve)
    stream.once('close', resolve)
    stream.once('error', reject)
  })
}

/** A sink keeping the first STDERR_BYTES written to it, and its end, where the exit code is reported. */
export function stderrTail(): {sink: Writable; text(): string; bytes(): Buffer; exitCode(): number | undefined} {
  const chunks: Buffer[] = []
  let size = 0
  let tail = ''
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (size < STDERR_BYTES) chunks.push(chunk.subarray(0, STDERR_BYTES - size))
      size += chunk.length
      tail = (tail + chunk.toString('latin1')).slice(-64)
      callback()
    },
  })
  const mark = new RegExp(`\\n${EXIT_MARK}(\\d+)$`)
  return {
    sink,
    text: () => Buffer.concat(chunks).toString('utf8').replace(mark, '').trim(),
    bytes: () => Buffer.concat(chunks),
    exitCode: () => {
      const found = mark.exec(tail)
      return found ? Number(found[1]) : undefined
    },
  }
}

/**
 * Splits the engine's multiplexed exec stream (8-byte frame headers: stream number, size) into the
 * stdout bytes it passes on, the stderr bytes going to `stderr`; `holdEnd` (when set) must settle
 * before the stream ends, and fails it when it rejects.
 */
class StdoutFrames extends Transform {
  holdEnd?: () => Promise<void>
  private pending: Buffer = Buffer.alloc(0)

  constructor(private readonly stderr: Writable) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending = splitFrames(this.pending, chunk, (stream, payload) => {
      if (stream === 'stderr') this.stderr.write(payload)
      else this.push(payload)
    })
    callback()
  }

  override _flush(callback: (error?: Error | null) => void): void {
    if (this.pending.length > 0) return callback(new OrcaError('infra', 'the exec stream of tar ended inside a frame'))
    if (this.holdEnd === undefined) return callback()
    this.holdEnd().then(
      () => callback(),
      (error: unknown) => callback(error as Error),
    )
  }
}

/**
 * Reads the engine's multiplexed frames (an 8-byte header: stream, 3 zero bytes, size) from what was
 * held back and a new chunk, hands each whole frame's payload on, and returns the bytes of a frame
 * not yet whole (a copy, so the chunk can be released).
 */
export function splitFrames(pending: Buffer, chunk: Buffer, onFrame: (stream: 'stdout' | 'stderr', payload: Buffer) => void): Buffer {
  let buffer = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk
  while (buffer.length >= 8) {
    const size = buffer.readUInt32BE(4)
    if (buffer.length < 8 + size) break
    onFrame(buffer[0] === 2 ? 'stderr' : 'stdout', buffer.subarray(8, 8 + size))
    buffer = buffer.subarray(8 + size)
  }
  return buffer.length > 0 ? Buffer.from(buffer) : Buffer.alloc(0)
}
