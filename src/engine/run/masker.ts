export const SECRET_MASK = '***'

/**
 * Secrets shorter than this are not masked: replacing every `a` or `1` in the output would destroy
 * the log while hiding nothing a guess could not find (GitHub Actions likewise skips trivial values).
 */
export const MIN_SECRET_LENGTH = 3

/**
 * Lines of a multi-line secret shorter than this (once trimmed) are not masked on their own: such
 * lines are mostly structure (`{`, `},`, `---`, `users:`) or a few characters of a key's last line,
 * and masking them would hide common text while revealing next to nothing.
 */
export const MIN_SECRET_LINE_LENGTH = 8

/**
 * The strings masked for some secret values: each value as given and without surrounding
 * whitespace (a value read from a file often ends in a newline), and each line of a value that spans
 * lines, on its own, since logs are read line by line and a step may print one line of a PEM key.
 */
export function maskedValues(secrets: Iterable<string>): string[] {
  const values = new Set<string>()
  const add = (value: string, min: number): void => {
    if (value.length >= min) values.add(value)
  }
  for (const secret of secrets) {
    add(secret, MIN_SECRET_LENGTH)
    const trimmed = secret.trim()
    add(trimmed, MIN_SECRET_LENGTH)
    const lines = trimmed.split(/\r\n|\r|\n/)
    if (lines.length > 1) for (const line of lines) add(line.trim(), MIN_SECRET_LINE_LENGTH)
  }
  return [...values]
}

/**
 * Replaces every occurrence of every secret (see maskedValues) with `***` in a stream of text chunks. Matching is
 * greedy left to right, longest secret first, so the output equals `maskString` of the whole text
 * however it was split: a tail that could still begin a secret is held back until it is decided.
 */
export class SecretMasker {
  private readonly secrets: string[]
  /** Secrets by their first character, longest first. */
  private readonly byFirstChar = new Map<string, string[]>()
  private readonly maxLength: number
  private held = ''

  constructor(secrets: Iterable<string>) {
    this.secrets = maskedValues(secrets).sort((a, b) => b.length - a.length)
    for (const secret of this.secrets) {
      const first = secret[0] as string
      const list = this.byFirstChar.get(first) ?? []
      list.push(secret)
      this.byFirstChar.set(first, list)
    }
    this.maxLength = this.secrets[0]?.length ?? 0
  }

  /** True when there is nothing to mask: callers can skip the masker entirely. */
  get isEmpty(): boolean {
    return this.secrets.length === 0
  }

  /** Masks a chunk; returns the text that is decided (possibly less than was pushed). */
  push(chunk: string): string {
    if (this.secrets.length === 0) return chunk
    const text = this.held + chunk
    this.held = ''
    return this.scan(text, false)
  }

  /** Returns whatever was held back; call at the end of the stream. */
  flush(): string {
    const text = this.held
    this.held = ''
    return text === '' ? '' : this.scan(text, true)
  }

  private scan(text: string, final: boolean): string {
    let out = ''
    let emittedUpTo = 0
    let p = 0
    while (p < text.length) {
      const candidates = this.byFirstChar.get(text[p] as string)
      if (candidates === undefined) {
        p++
        continue
      }
      const remaining = text.length - p
      if (!final && remaining < this.maxLength && this.couldStillGrow(text, p, candidates)) {
        this.held = text.slice(p)
        return out + text.slice(emittedUpTo, p)
      }
      const match = candidates.find((secret) => text.startsWith(secret, p))
      if (match === undefined) {
        p++
        continue
      }
      out += text.slice(emittedUpTo, p) + SECRET_MASK
      p += match.length
      emittedUpTo = p
    }
    return out + text.slice(emittedUpTo)
  }

  /** A secret longer than what is left of the text starts with all of it: wait for more. */
  private couldStillGrow(text: string, p: number, candidates: string[]): boolean {
    const rest = text.slice(p)
    return candidates.some((secret) => secret.length > rest.length && secret.startsWith(rest))
  }
}

/** Masks every secret in one string. */
export function maskString(text: string, secrets: Iterable<string>): string {
  const masker = new SecretMasker(secrets)
  return masker.push(text) + masker.flush()
}
