import {SecretMasker} from './masker.js'

/** Flush a partial line anyway once this much is buffered (progress bars without newlines). */
const MAX_PENDING = 64 * 1024

/** Longest line recorded, in characters; the rest of a longer line is dropped after a marker. */
export const MAX_LINE_LENGTH = 64 * 1024

/** Default cap on the output recorded for one job (every step and stream together), in bytes. */
export const DEFAULT_JOB_LOG_LIMIT = 16 * 1024 * 1024

/** Ends a line cut at MAX_LINE_LENGTH. */
export const LINE_CUT_MARKER = ` [orca] line cut: longer than ${MAX_LINE_LENGTH / 1024} KiB\n`

/** The line recorded, once, when a job's output reaches its cap. */
export function truncationMarker(limit: number): string {
  return `[orca] output truncated: this job printed more than ${formatLimit(limit)}; the rest is not recorded\n`
}

/**
 * One step's stream (stdout or stderr): decodes bytes (UTF-8 split across chunks included),
 * masks secrets (split across chunks included), cuts overlong lines and hands on whole lines.
 */
export class OutputStream {
  readonly #decoder = new TextDecoder('utf-8')
  readonly #masker: SecretMasker
  readonly #emit: (text: string) => void
  #pending = ''
  /** Characters of the current line handed on or pending so far. */
  #lineLength = 0
  /** The current line was cut: drop text until its newline. */
  #dropping = false

  constructor(secrets: string[], emit: (text: string) => void) {
    this.#masker = new SecretMasker(secrets)
    this.#emit = emit
  }

  write(chunk: Uint8Array): void {
    this.#pending += this.#capLines(this.#masker.push(this.#decoder.decode(chunk, {stream: true})))
    const cut = this.#pending.length > MAX_PENDING ? this.#pending.length : this.#pending.lastIndexOf('\n') + 1
    if (cut > 0) {
      this.#emit(this.#pending.slice(0, cut))
      this.#pending = this.#pending.slice(cut)
    }
  }

  /** Hands on the unfinished line now; text held back as the possible start of a secret stays held. */
  flushLine(): void {
    if (this.#pending === '') return
    this.#emit(this.#pending)
    this.#pending = ''
  }

  /** Emits whatever is left; call when the step ends. */
  end(): void {
    this.#pending += this.#capLines(this.#masker.push(this.#decoder.decode()) + this.#masker.flush())
    if (this.#pending) this.#emit(this.#pending)
    this.#pending = ''
  }

  /** Keeps at most MAX_LINE_LENGTH characters of each line, ending a cut line with a marker. */
  #capLines(text: string): string {
    if (!this.#dropping && this.#lineLength + text.length <= MAX_LINE_LENGTH && !text.includes('\n')) {
      this.#lineLength += text.length
      return text
    }
    let out = ''
    for (let start = 0; start < text.length; ) {
      const newline = text.indexOf('\n', start)
      const end = newline === -1 ? text.length : newline + 1
      const piece = text.slice(start, end)
      start = end
      if (this.#dropping) {
        if (newline !== -1) this.#dropping = false
        continue
      }
      if (this.#lineLength + piece.length - (newline === -1 ? 0 : 1) > MAX_LINE_LENGTH) {
        out += piece.slice(0, MAX_LINE_LENGTH - this.#lineLength) + LINE_CUT_MARKER
        this.#lineLength = 0
        this.#dropping = newline === -1
        continue
      }
      out += piece
      this.#lineLength = newline === -1 ? this.#lineLength + piece.length : 0
    }
    return out
  }
}

export type StreamName = 'stdout' | 'stderr'

/**
 * One step's stdout and stderr, handed on in the order their chunks arrived: before one stream
 * speaks, the other's unfinished line goes first, so buffering lines per stream never reorders
 * what the engine sent.
 */
export class StepOutput {
  readonly #streams: Record<StreamName, OutputStream>
  #last: StreamName | undefined

  constructor(secrets: string[], emit: (stream: StreamName, text: string) => void) {
    this.#streams = {
      stdout: new OutputStream(secrets, (text) => emit('stdout', text)),
      stderr: new OutputStream(secrets, (text) => emit('stderr', text)),
    }
  }

  write(stream: StreamName, chunk: Uint8Array): void {
    if (this.#last !== undefined && this.#last !== stream) this.#streams[this.#last].flushLine()
    this.#last = stream
    this.#streams[stream].write(chunk)
  }

  /** Emits what is left of both, the stream that spoke last last; call when the step ends. */
  end(): void {
    const [first, second]: StreamName[] = this.#last === 'stderr' ? ['stdout', 'stderr'] : ['stderr', 'stdout']
    this.#streams[first!].end()
    this.#streams[second!].end()
  }
}

/**
 * The output allowance of one job, shared by all its step streams: text past the limit is dropped,
 * after one marker line. The job itself keeps running; only the record is capped.
 */
export class OutputBudget {
  #left: number
  #truncated = false

  constructor(readonly limit = DEFAULT_JOB_LOG_LIMIT) {
    this.#left = limit
  }

  /** True once output was dropped. */
  get truncated(): boolean {
    return this.#truncated
  }

  /** The part of `text` to record: all of it, the whole lines that fit plus the marker, or nothing. */
  take(text: string): string {
    if (this.#truncated) return ''
    const bytes = Buffer.byteLength(text)
    if (bytes <= this.#left) {
      this.#left -= bytes
      return text
    }
    this.#truncated = true
    const fits = Buffer.from(text).subarray(0, this.#left).toString('utf8')
    this.#left = 0
    return fits.slice(0, fits.lastIndexOf('\n') + 1) + truncationMarker(this.limit)
  }
}

function formatLimit(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} bytes`
}
