import {randomBytes} from 'node:crypto'
import {PassThrough, type Duplex, type Readable} from 'node:stream'
import type Docker from 'dockerode'
import {OrcaError} from '../../errors.js'
import {MarkerScanner} from './container-output.js'
import type {ArchiveSource} from './exec-tar.js'
import {KEEP_ALIVE_SCRIPT, OUTPUT_READY, STOP_TRAP, TAKES_ORDERS} from './container-spec.js'

/*
 * Steps in the container's main process (docs/performance.md, "Steps in the container's main
 * process"): a job's container that can take them gets no `docker exec` at all. Its main process is
 * the shell below, whose stdin orca holds through the container's one attach (made before start,
 * kept for the job, with stdout and stderr: the same attach that reads the steps' output).
 *
 * Orders, on the shell's stdin: the job's token (32 random hex digits, a line of its own, first
 * thing written, after a newline: Podman passes the attach request's body on as stdin), then
 * orders, each a line of shell words (a function below and its arguments, quoted) ended by a line
 * holding only the token; the shell evaluates it. Nothing orca sends is in
 * any process's command line or in the container's config: the job's env and secrets reach the step
 * through `export` in its own subshell, as an exec's Env did (/proc/<pid>/environ of the step, which
 * only root in the job reads, as before).
 *   - `oi SENTINEL` then the needs' archive in chunks, each `<bytes>\n` and exactly that many bytes,
 *     read by `dd iflag=fullblock` (tar reads past an archive's end, and busybox `head -c` reads
 *     ahead through stdio: neither may read stdin itself), ended by `0\n`. The archive ends with an
 *     empty sentinel file as in step-fold.ts; the shell answers `:in`, or `:x CODE MESSAGE`.
 *   - `os MARKER WORKDIR NAME VALUE ... -- COMMAND...` runs a step: in a subshell with the env
 *     exported, in the workdir, stdin /dev/null, stdout and stderr joined on the container's stdout,
 *     in a session of its own (`setsid`, as each exec was: `kill 0` in a step stops its own process
 *     group only), started through the image's sh by its path (busybox's `setsid` runs its own `sh`
 *     applet for a bare name, whatever the image's sh is). It runs in the foreground, so its signal
 *     dispositions are an exec's (an asynchronous list would start it with SIGINT and SIGQUIT
 *     ignored, for good). The shell then
 *     writes MARKER on stdout (the end of the step's output, as stepCommand's) and `:done CODE`.
 *   - `oo FOLDER NAME` writes the collection's tar, as the exec of tar would, in chunks `:c BYTES`
 *     followed by the bytes (staged one MiB at a time in /dev/shm: only a counted chunk can share a
 *     stream), then `:tar CODE MESSAGE`.
 * Answers go on the container's stderr as lines `\x1e<token>:WORD ...`; anything else there (a step
 * writing to /proc/1/fd/2) is output, as before. A step's own output cannot reach that stream (it is
 * joined on stdout), and it cannot learn the token (it is on no command line).
 *
 * Stopping: a timeout or cancel signals the container as before; its init passes SIGTERM to this
 * shell, whose trap is the keep-alive shell's (TERM to every process, exit once they are gone). A
 * shell waiting for an order is interrupted at once; one running a step in the foreground runs its
 * trap only once the step ends, so the stop also sends TERM to every process of the container
 * through one exec (ContainerStopper.signalsEveryProcess), the step's session included: the step gets SIGTERM
 * as an exec'd step did, and SIGKILL after the grace period as before.
 * A dropped attach: stdin is closed (`StdinOnce`), so the shell reads its end and exits, and a job
 * waiting for an answer sees its stream end: the job fails as `infra`, as a lost exec does. An orca
 * that dies (SIGKILL) drops the attach the same way: its containers end by themselves, and `orca
 * clean --leaks` removes what is left. An early container is attached before its start, like every
 * job container; one whose job never takes it is removed, then its attach ended. Docker closes the
 * stdin of a container started after its attach ended, so a container whose orca died between the
 * two ends too. A kept container's twin gets the keep-alive shell instead (`keptAlive`).
 */

/**
 * What the shell needs besides sh, checked at its start; without it the job keeps its execs. Its
 * steps inherit its signal mask, which an exec's never had: an init that leaves signals blocked in
 * its child (Podman's catatonit blocks TSTP, TTIN and TTOU) keeps the execs too.
 */
const CAN_TAKE_ORDERS =
  '[ -n "$x" ] && command -v setsid && command -v tar && command -v dd && command -v wc && command -v cat && ' +
  '[ "$(printf ab | dd bs=2 count=1 iflag=fullblock 2>/dev/null)" = ab ] && [ -d /dev/shm ] && [ -w /dev/shm ] && ' +
  // What exec-tar.ts's probe tries, in place of that exec: tar writes an archive and reads one.
  'tar -cf - -C /etc ./hostname | tar -xOf - && ' +
  `b=; while read -r k v; do [ "$k" != SigBlk: ] || b=$v; done </proc/self/status && case $b in ''|*[!0]*) false ;; esac`

/**
 * The main process of a container whose steps may come through its stdin (see above). Before any
 * order it is the keep-alive shell: the same handshake (its stdout line says whether it takes
 * orders), the same trap, and it ends at the end of its stdin.
 */
const ATTACHED_SCRIPT =
  `trap '${STOP_TRAP}' TERM; ` +
  // Podman's attach passes its request's JSON body on as stdin: the token is the first line of 32 hex digits.
  `while IFS= read -r t || exit 0; do case $t in ${'?'.repeat(32)}) case $t in *[!0-9a-f]*) ;; *) break ;; esac ;; esac; done; ` +
  `a=; x=$(command -v sh); { ${CAN_TAKE_ORDERS}; } >/dev/null 2>&1 && a='${TAKES_ORDERS}'; ` +
  `{ echo '${OUTPUT_READY}' >/proc/1/fd/2 && echo "${OUTPUT_READY}$a" >/proc/1/fd/1; } 2>/dev/null || echo '[orca:output-exec]'; ` +
  // Needs in.
  'oi() { e=$( { while IFS= read -r n && [ "$n" != 0 ]; do dd bs="$n" count=1 iflag=fullblock 2>/dev/null; done; } | (unset TAR_OPTIONS; exec tar -xf - -C /) 2>&1 ); c=$?; ' +
  'if [ "$c" = 0 ] && ! rm -- "$1" 2>/dev/null; then c=1 e="the archive was cut short"; fi; ' +
  `if [ "$c" = 0 ]; then printf '\\036%s:in\\n' "$t" >&2; else printf '\\036%s:x %s %s\\n' "$t" "$c" "$(printf %s "$e" | tr '\\n' ' ' | head -c 2000)" >&2; fi; }; ` +
  // A step.
  `os() { m=$1 w=$2; shift 2; ( while [ "$1" != -- ]; do export "$1=$2"; shift 2; done; shift; cd -- "$w" && exec setsid "$x" -c 'exec "$@"' sh "$@" ) </dev/null 2>&1; c=$?; ` +
  `printf '%s\\n' "$m"; printf '\\036%s:done %s\\n' "$t" "$c" >&2; }; ` +
  // The collection out.
  'oo() { f=/dev/shm/.orca-$t; { (unset TAR_OPTIONS; if cd -- "$1" 2>/dev/null && { [ -e "$2" ] || [ -L "$2" ]; }; then tar -cf - "./$2"; fi; echo $? >"$f.rc") 2>"$f.err"; } | ' +
  `while dd bs=1048576 count=1 iflag=fullblock of="$f" 2>/dev/null && n=$(($(wc -c <"$f"))) && [ "$n" -gt 0 ]; do printf '\\036%s:c %s\\n' "$t" "$n" >&2; cat "$f" >&2; [ "$n" = 1048576 ] || break; done; ` +
  `r=1; { read -r r <"$f.rc"; } 2>/dev/null; e=; [ "$r" = 0 ] || e=$(tr '\\n' ' ' <"$f.err" | head -c 2000); printf '\\036%s:tar %s %s\\n' "$t" "$r" "$e" >&2; rm -f "$f" "$f.rc" "$f.err"; }; ` +
  // The orders.
  'while :; do o=; while IFS= read -r l || exit 0; do [ "$l" = "$t" ] && break; o="$o$l\n"; done; eval "$o"; done'

/**
 * `spec` with the shell above as its main process and its stdin open to one attach, closed when that
 * attach ends (`StdinOnce`): a container orca lets go of, or whose orca died, ends by itself.
 */
export function takingOrders(spec: Docker.ContainerCreateOptions): Docker.ContainerCreateOptions {
  return {...spec, Entrypoint: ['sh'], Cmd: ['-c', ATTACHED_SCRIPT], OpenStdin: true, StdinOnce: true, AttachStdin: true}
}

/** `spec` with the keep-alive shell as its main process, stdin closed: a kept container, which `orca shell` starts unattached. */
export function keptAlive(spec: Docker.ContainerCreateOptions): Docker.ContainerCreateOptions {
  return {...spec, Entrypoint: ['sh'], Cmd: ['-c', KEEP_ALIVE_SCRIPT], OpenStdin: false, StdinOnce: false, AttachStdin: false}
}

/** A fresh token for one container's orders and answers. */
export function orderToken(): string {
  return randomBytes(16).toString('hex')
}

/** `value` as one sh word. */
export function shellWord(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

/** The bytes of one order: the function and its words, then the token's line. */
export function orderBytes(token: string, words: readonly string[]): Buffer {
  return Buffer.from(`${words.map(shellWord).join(' ')}\n${token}\n`)
}

/** A variable name sh can `export`: job env with another name keeps its exec (an exec's Env takes any). */
export function exportable(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)
}

/**
 * What starts an answer: a byte text hardly ends with (a tail that could start an answer is held
 * back until more comes, and a step's end marker, a line, must never wait), which also ends a line a
 * step left unfinished on the stream.
 */
const ANSWER = '\x1e'

/** Largest chunk of the needs' archive per `dd`. */
const CHUNK_BYTES = 1024 * 1024

type Answer = {word: string; rest: string}

/**
 * Reads the container's stderr in a container that takes orders: lines `\x1e<token>:WORD ...` are
 * answers (to `onAnswer`), `:c N` is followed by N bytes of an archive (to `onArchive`, which may
 * hold the stream back by returning a promise), everything else is output (to `onText`). The first
 * line (the handshake) is output whatever it holds.
 */
export class AnswerReader {
  private state: 'handshake' | 'text' | 'line' | 'chunk' = 'handshake'
  private readonly scanner: MarkerScanner
  private line = ''
  private left = 0

  constructor(
    token: string,
    private readonly sinks: {onText(chunk: Buffer): void; onAnswer(answer: Answer): void; onArchive(chunk: Buffer): Promise<void> | undefined},
  ) {
    this.scanner = new MarkerScanner(Buffer.from(`${ANSWER}${token}:`))
  }

  /** Takes a chunk; the promise (when one is returned) settles once the archive's reader wants more. */
  push(chunk: Buffer): Promise<void> | undefined {
    let data = chunk
    let hold: Promise<void> | undefined
    while (data.length > 0) {
      if (this.state === 'handshake') {
        const newline = data.indexOf(0x0a)
        const end = newline === -1 ? data.length : newline + 1
        this.sinks.onText(data.subarray(0, end))
        if (newline !== -1) this.state = 'text'
        data = data.subarray(end)
      } else if (this.state === 'text') {
        const {before, after} = this.scanner.push(data)
        if (before.length > 0) this.sinks.onText(before)
        if (after === undefined) return hold
        this.state = 'line'
        this.line = ''
        data = after
      } else if (this.state === 'line') {
        const newline = data.indexOf(0x0a)
        this.line += data.subarray(0, newline === -1 ? data.length : newline).toString('latin1')
        if (newline === -1) return hold
        data = data.subarray(newline + 1)
        const space = this.line.indexOf(' ')
        const answer = {word: space === -1 ? this.line : this.line.slice(0, space), rest: space === -1 ? '' : this.line.slice(space + 1)}
        if (answer.word === 'c' && /^\d+$/.test(answer.rest) && Number(answer.rest) > 0) {
          this.state = 'chunk'
          this.left = Number(answer.rest)
        } else {
          this.state = 'text'
          this.sinks.onAnswer(answer)
        }
      } else {
        const take = Math.min(this.left, data.length)
        hold = this.sinks.onArchive(Buffer.from(data.subarray(0, take))) ?? hold
        this.left -= take
        data = data.subarray(take)
        if (this.left === 0) this.state = 'text'
      }
    }
    return hold
  }

  /** What is held back once nothing more will come: output. */
  flush(): void {
    const held = this.scanner.flush()
    if (held.length > 0) this.sinks.onText(held)
  }
}

/** How a step that ran through the shell ended: its exit code, or null when the stream ended first. */
export type StepEnd = {exitCode: number | null}

/**
 * The orders side of a container's attach (see above): writes orders on its stdin and reads the
 * answers from its stderr. One order at a time; an order in flight when the stream ends (or is
 * abandoned) settles as ended.
 */
export class AttachedShell implements ArchiveSource {
  private readonly reader: AnswerReader
  private waiting?: {words: string[]; resolve(answer: Answer | undefined): void}
  private archive?: PassThrough
  private ended = false
  /** Orders run one after another: the next waits for this one's answer. */
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly stream: Duplex,
    private readonly token: string,
    /** Where output on the container's stderr goes (the step windows of container-output.ts). */
    private readonly onText: (chunk: Buffer) => void,
  ) {
    this.reader = new AnswerReader(token, {
      onText,
      onAnswer: (answer) => this.answered(answer),
      onArchive: (chunk) => this.archived(chunk),
    })
  }

  /** The container's stderr, as it arrives. */
  receive(chunk: Buffer): Promise<void> | undefined {
    return this.reader.push(chunk)
  }

  /** The attach ended: every order in flight settles as ended. */
  end(): void {
    if (this.ended) return
    this.ended = true
    this.reader.flush()
    this.archive?.destroy(new OrcaError('infra', 'the attach to the container ended while it wrote the artifacts'))
    this.archive = undefined
    const waiting = this.waiting
    this.waiting = undefined
    waiting?.resolve(undefined)
  }

  /**
   * Extracts the needs' archive at `/` (it ends with the `sentinel` file). False when the attach ended
   * or `abandon` settled first; throws tar's failure, or the archive's own when it could not be made.
   */
  async extract(archive: {stream: Readable; done: Promise<void>}, sentinel: string, abandon: Promise<void>): Promise<boolean> {
    return this.serially(async () => {
      const answer = this.expect(['in', 'x'])
      await this.write(orderBytes(this.token, ['oi', sentinel]))
      let failure: unknown
      const sent = this.sendChunks(archive.stream).catch((error: unknown) => {
        failure = error
      })
      const got = await Promise.race([answer, abandon.then(() => undefined)])
      await Promise.race([sent, abandon])
      if (got === undefined) return false
      if (got.word === 'in') return true
      // The archive's own failure says more than tar's view of its cut.
      await archive.done
      if (failure !== undefined) throw failure
      const [code, ...message] = got.rest.split(' ')
      throw new OrcaError('infra', `tar in the container could not write the inputs (exit code ${code}): ${message.join(' ').trim()}`)
    })
  }

  /** Runs a step's command (as stepCommand gives it) with `env` in `workdir`; `marker` ends its output on stdout. */
  async run(command: readonly string[], env: Record<string, string>, workdir: string, marker: string, abandon: Promise<void>): Promise<StepEnd> {
    return this.serially(async () => {
      const answer = this.expect(['done'])
      await this.write(orderBytes(this.token, ['os', marker, workdir, ...Object.entries(env).flat(), '--', ...command]))
      const got = await Promise.race([answer, abandon.then(() => undefined)])
      if (got === undefined) return {exitCode: null}
      // The step's output on stderr (writes to /proc/1/fd/2) is over: its window closes there as on stdout.
      this.onText(Buffer.from(`${marker}\n`))
      const code = Number(got.rest)
      return {exitCode: Number.isInteger(code) ? code : null}
    })
  }

  /** The collection's tar of `source` (an absolute path), as ExecTar.fetch gives it; it fails when tar does. */
  async fetch(_container: Docker.Container, source: string, signal?: AbortSignal): Promise<Readable> {
    const cut = source.lastIndexOf('/')
    const folder = source.slice(0, cut) || '/'
    const name = source.slice(cut + 1)
    const out = new PassThrough()
    // The next order waits until this archive is read to its end (or dropped, the rest read and thrown away).
    void this.serially(async () => {
      if (this.ended) return out.destroy(new OrcaError('infra', 'the attach to the container ended before the artifacts were read'))
      this.archive = out
      const answer = this.expect(['tar'])
      await this.write(orderBytes(this.token, ['oo', folder, name]))
      const got = await answer
      this.archive = undefined
      if (got === undefined) return
      const [code, ...message] = got.rest.split(' ')
      if (code === '0') out.end()
      else out.destroy(new OrcaError('infra', `tar in the container could not read ${source} (exit code ${code}): ${message.join(' ').trim()}`))
    }).catch((error: unknown) => out.destroy(error as Error))
    const onAbort = (): void => {
      out.destroy(signal?.reason instanceof Error ? signal.reason : new Error('stopped'))
    }
    if (signal?.aborted) onAbort()
    signal?.addEventListener('abort', onAbort, {once: true})
    out.on('close', () => signal?.removeEventListener('abort', onAbort))
    return out
  }

  private async serially<T>(order: () => Promise<T>): Promise<T> {
    const next = this.queue.then(order)
    this.queue = next.catch(() => undefined)
    return next
  }

  /** The answer with one of `words` (undefined when the attach ends first). */
  private async expect(words: string[]): Promise<Answer | undefined> {
    if (this.ended) return undefined
    return new Promise((resolve) => {
      this.waiting = {words, resolve}
    })
  }

  private answered(answer: Answer): void {
    // An answer nobody waits for (a step forging one cannot: it does not know the token) is dropped.
    if (!this.waiting?.words.includes(answer.word)) return
    const waiting = this.waiting
    this.waiting = undefined
    waiting.resolve(answer)
  }

  private archived(chunk: Buffer): Promise<void> | undefined {
    const out = this.archive
    // An archive whose reader stopped is read to its end all the same: the next answer follows it.
    if (out === undefined || out.destroyed) return undefined
    if (out.write(chunk)) return undefined
    return new Promise((resolve) => {
      const go = (): void => {
        out.off('drain', go)
        out.off('close', go)
        resolve()
      }
      out.on('drain', go)
      out.on('close', go)
    })
  }

  /** The archive in chunks of at most CHUNK_BYTES, each with its size, then `0`; a failing source still ends the chunks. */
  private async sendChunks(source: Readable): Promise<void> {
    let held: Buffer[] = []
    let size = 0
    const flush = async (): Promise<void> => {
      if (size === 0) return
      const chunk = Buffer.concat(held, size)
      held = []
      size = 0
      await this.write(Buffer.concat([Buffer.from(`${chunk.length}\n`), chunk]))
    }
    try {
      for await (const piece of source as AsyncIterable<Buffer>) {
        let rest = piece
        while (rest.length > 0) {
          const take = Math.min(rest.length, CHUNK_BYTES - size)
          held.push(rest.subarray(0, take))
          size += take
          rest = rest.subarray(take)
          if (size === CHUNK_BYTES) await flush()
        }
      }
      await flush()
    } finally {
      // The shell waits for the end whatever happened: tar then finds the archive cut short.
      await this.write(Buffer.from('0\n'))
    }
  }

  private async write(bytes: Buffer): Promise<void> {
    if (this.ended || this.stream.destroyed) return
    if (this.stream.write(bytes)) return
    await new Promise<void>((resolve) => {
      const go = (): void => {
        this.stream.off('drain', go)
        this.stream.off('close', go)
        resolve()
      }
      this.stream.on('drain', go)
      this.stream.on('close', go)
    })
  }
}
