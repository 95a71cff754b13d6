import {closeSync, mkdirSync, openSync} from 'node:fs'
import * as path from 'node:path'
import {StringDecoder} from 'node:string_decoder'

import {writeAll} from '../atomic-file.js'
import type {ServiceLogSink} from '../executor/types.js'
import {SecretMasker} from './masker.js'

/** A service's log stops growing here (with a note): a chatty database must not fill the disk. */
export const MAX_SERVICE_LOG_BYTES = 16 * 1024 * 1024
/** Text kept in memory for the last lines shown with a failure. */
const TAIL_CHARS = 8 * 1024

/**
 * What a service writes (stdout and stderr, as they arrive), secrets masked: appended to its file in
 * the run directory, with its last lines kept for failure messages.
 */
export class ServiceLog implements ServiceLogSink {
  private readonly masker: SecretMasker
  private readonly decoder = new StringDecoder('utf8')
  private fd: number | undefined
  private written = 0
  private tail = ''
  private closed = false

  constructor(
    readonly file: string | undefined,
    secrets: string[],
  ) {
    this.masker = new SecretMasker(secrets)
    if (file !== undefined) {
      mkdirSync(path.dirname(file), {recursive: true})
      this.fd = openSync(file, 'a')
    }
  }

  write(chunk: Buffer): void {
    if (!this.closed) this.append(this.masker.push(this.decoder.write(chunk)))
  }

  /** The last `count` lines written, masked (an unfinished last line included; text the masker still holds is not). */
  lastLines(count: number): string[] {
    const text = this.tail
    const lines = text.split('\n')
    if (lines.at(-1) === '') lines.pop()
    // The first line may be cut by the tail's bound: drop it unless it is all there is.
    if (text.length >= TAIL_CHARS && lines.length > 1) lines.shift()
    return lines.slice(-count)
  }

  close(): void {
    if (this.closed) return
    this.append(this.masker.push(this.decoder.end()) + this.masker.flush())
    this.closed = true
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }

  private append(text: string): void {
    if (text === '') return
    this.tail = (this.tail + text).slice(-TAIL_CHARS)
    if (this.fd === undefined) return
    const bytes = Buffer.byteLength(text)
    if (this.written + bytes > MAX_SERVICE_LOG_BYTES) {
      writeAll(this.fd, `\n[orca] log cut: the service wrote more than ${MAX_SERVICE_LOG_BYTES / 1024 / 1024} MiB; the rest is not kept\n`)
      closeSync(this.fd)
      this.fd = undefined
      return
    }
    this.written += bytes
    writeAll(this.fd, text)
  }
}
