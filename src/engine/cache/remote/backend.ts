import type {Readable} from 'node:stream'

/**
 * What a remote cache holds: entry and keyed volume manifests by key (in a namespace), content by digest, and packs of
 * small files named by the digest of their member list (see pack.ts).
 */
export type RemoteObject =
  | {kind: 'entry'; namespace: string; key: string}
  /** An entry's manifest with its small files in one object (see pack.ts): one request restores a small entry. */
  | {kind: 'bundle'; namespace: string; key: string}
  /** A keyed volume's manifest (its tar is a blob). */
  | {kind: 'volume'; namespace: string; key: string}
  | {kind: 'blob'; sha256: string}
  | {kind: 'pack'; id: string}

/** A transfer that failed for a reason worth retrying (network, timeout, 5xx, 429) or not. */
export class RemoteError extends Error {
  override name = 'RemoteError'
  constructor(
    message: string,
    readonly retryable: boolean,
    options: {cause?: unknown} = {},
  ) {
    super(message, options)
  }
}

/**
 * One remote store (S3-compatible, Turborepo's HTTP API): named objects, read whole or streamed,
 * written whole. Every call takes a signal; the caller bounds time and retries (see transfer.ts).
 */
export interface RemoteBackend {
  /** Shown to people: what and where, never a credential. */
  readonly description: string
  /** The object's bytes as a stream, or undefined when it is not there. */
  get(object: RemoteObject, signal: AbortSignal): Promise<Readable | undefined>
  has(object: RemoteObject, signal: AbortSignal): Promise<boolean>
  put(object: RemoteObject, body: Buffer, signal: AbortSignal): Promise<void>
  /** Opens up to `count` connections now, for requests soon to come (a hint; the handshakes off their path). */
  preconnect?(count: number): void
  /** Releases connections (an S3 client's sockets). */
  close?(): void
}
