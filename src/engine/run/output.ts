import {SecretMasker} from './masker.js'

/** Flush a partial line anyway once this much is buffered (progress bars without newlines). */
const MAX_PENDING = 64 * 1024

/**
 * One step's stream (stdout or stderr): decodes bytes (UTF-8 split across chunks included),
 * masks secrets (split across chunks included) and hands on whole lines.
 */
export class OutputStream {
  readonly #decoder = new TextDecoder('utf-8')
  readonly #masker: SecretMasker
  readonly #emit: (text: string) => void
  #pending = ''

  constructor(secrets: string[], emit: (text: string) => void) {
    this.#masker = new SecretMasker(secrets)
    this.#emit = emit
  }

  write(chunk: Uint8Array): void {
    this.#pending += this.#masker.push(this.#decoder.decode(chunk, {stream: true}))
    const cut = this.#pending.length > MAX_PENDING ? this.#pending.length : this.#pending.lastIndexOf('\n') + 1
    if (cut > 0) {
      this.#emit(this.#pending.slice(0, cut))
      this.#pending = this.#pending.slice(cut)
    }
  }

  /** Emits whatever is left; call when the step ends. */
  end(): void {
    this.#pending += this.#masker.push(this.#decoder.decode()) + this.#masker.flush()
    if (this.#pending) this.#emit(this.#pending)
    this.#pending = ''
  }
}
