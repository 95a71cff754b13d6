import {createHash, createHmac, sign, timingSafeEqual, verify, type KeyObject} from 'node:crypto'
import {readFileSync} from 'node:fs'

import type {SigningConfig} from '../config/types.js'
import {OrcaError} from '../errors.js'
import {keyIdOf, readPrivateKey, readPublicKey, type SigningKey} from '../keys/ed25519.js'

/** How a cache entry's manifest is signed: a shared HMAC secret, or an Ed25519 key pair (readers hold only public keys). */
export interface EntrySignature {
  algorithm: 'hmac-sha256' | 'ed25519'
  /** Names the key without revealing it, so "signed with another key" can be told from "forged". */
  keyId: string
  /** Hex. */
  value: string
}

/** Signs and checks entry manifests with the configured key(s). */
export interface EntrySigner {
  readonly algorithm: EntrySignature['algorithm']
  /** The key entries are signed with (for Ed25519 without a private key: the first trusted public key). */
  readonly keyId: string
  /** False for a reader holding only public keys: it restores checked entries and writes none. */
  readonly canSign: boolean
  /** Throws when `canSign` is false. */
  sign(payload: string): EntrySignature
  /** Why the signature does not vouch for the payload; undefined when it does. */
  check(payload: string, signature: EntrySignature | undefined): string | undefined
}

/** Shortest shared secret accepted: 128 bits written as hex. */
export const MIN_SECRET_LENGTH = 32

/** A shared HMAC-SHA256 secret: every writer and reader of the cache holds it. */
export function hmacSigner(secret: string): EntrySigner {
  const key = Buffer.from(secret, 'utf8')
  const keyId = `hmac:${createHash('sha256').update('orca cache key id\0').update(key).digest('hex').slice(0, 16)}`
  const mac = (payload: string): string => createHmac('sha256', key).update(payload).digest('hex')
  return {
    algorithm: 'hmac-sha256',
    keyId,
    canSign: true,
    sign: (payload) => ({algorithm: 'hmac-sha256', keyId, value: mac(payload)}),
    check(payload, signature) {
      if (signature === undefined) return 'it is not signed'
      if (signature.algorithm !== 'hmac-sha256') return `it is signed with ${String(signature.algorithm)}, not hmac-sha256`
      if (signature.keyId !== keyId) return 'it is signed with another key'
      const expected = Buffer.from(mac(payload), 'hex')
      const given = Buffer.from(typeof signature.value === 'string' ? signature.value : '', 'hex')
      return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : 'its signature does not match its content'
    },
  }
}

/**
 * Ed25519: entries are signed with `key` (when this machine writes the cache) and trusted when signed by
 * it or by one of `trusted`, so machines share a cache by public key instead of a shared secret.
 */
export function ed25519Signer(key: SigningKey | undefined, trusted: readonly KeyObject[]): EntrySigner {
  const keys = new Map<string, KeyObject>(trusted.map((publicKey) => [`ed25519:${keyIdOf(publicKey)}`, publicKey]))
  if (key) keys.set(`ed25519:${key.keyId}`, key.publicKey)
  const keyId = key ? `ed25519:${key.keyId}` : ([...keys.keys()][0] ?? 'ed25519:none')
  return {
    algorithm: 'ed25519',
    keyId,
    canSign: key !== undefined,
    sign(payload) {
      if (!key) throw new Error('cache.signing.ed25519 has no privateKeyFile: this machine only reads signed entries')
      return {algorithm: 'ed25519', keyId, value: sign(null, Buffer.from(payload), key.privateKey).toString('hex')}
    },
    check(payload, signature) {
      if (signature === undefined) return 'it is not signed'
      if (signature.algorithm !== 'ed25519') return `it is signed with ${String(signature.algorithm)}, not ed25519`
      const publicKey = typeof signature.keyId === 'string' ? keys.get(signature.keyId) : undefined
      if (publicKey === undefined) return 'it is signed by a key that is not trusted (cache.signing.ed25519)'
      const value = Buffer.from(typeof signature.value === 'string' ? signature.value : '', 'hex')
      return verify(null, Buffer.from(payload), publicKey, value) ? undefined : 'its signature does not match its content'
    },
  }
}

/** The signer of a configuration, reading the key file or variable it names; a missing or short key is a usage error (exit 2). */
export function signerOf(config: SigningConfig | undefined, env: NodeJS.ProcessEnv): EntrySigner | undefined {
  if (config === undefined) return undefined
  if ('ed25519' in config) {
    const {privateKeyFile, publicKeyFiles} = config.ed25519
    const key = privateKeyFile === undefined ? undefined : readPrivateKey(privateKeyFile, 'the cache signing key (cache.signing.ed25519.privateKeyFile)')
    return ed25519Signer(key, publicKeyFiles.map((file) => readPublicKey(file, 'the cache public key (cache.signing.ed25519.publicKeyFiles)')))
  }
  const source = config.hmac
  let secret: string
  let from: string
  if ('secret' in source) {
    secret = source.secret
    from = source.from
  } else if ('keyEnv' in source) {
    from = `the variable ${source.keyEnv} (cache.signing.hmac.keyEnv)`
    secret = env[source.keyEnv] ?? ''
  } else {
    from = `${source.keyFile} (cache.signing.hmac.keyFile)`
    try {
      secret = readFileSync(source.keyFile, 'utf8')
    } catch (error) {
      throw new OrcaError('usage', `cannot read the cache signing key from ${from}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
        hint: 'create it with `openssl rand -hex 32 > FILE`, or remove cache.signing to use the cache unsigned',
      })
    }
  }
  secret = secret.trim()
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new OrcaError('usage', `the cache signing key from ${from} is ${secret.length === 0 ? 'empty' : 'too short'}: use at least ${MIN_SECRET_LENGTH} characters`, {
      hint: 'generate one with `openssl rand -hex 32`',
    })
  }
  return hmacSigner(secret)
}
