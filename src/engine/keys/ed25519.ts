import {createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject} from 'node:crypto'
import {chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'

import type {ProvenanceKeyConfig} from '../config/types.js'
import {OrcaError} from '../errors.js'

/** An Ed25519 key pair that signs attestations and cache entries. */
export interface SigningKey {
  privateKey: KeyObject
  publicKey: KeyObject
  /** keyIdOf(publicKey). */
  keyId: string
}

/** Names a public key without being one: the SHA-256 of its DER SubjectPublicKeyInfo, hex (a hint, never trusted by itself). */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({type: 'spki', format: 'der'})).digest('hex')
}

/** An Ed25519 private key from PEM text; `from` says where it came from in the error. */
export function parsePrivateKey(pem: string, from: string): SigningKey {
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey(pem)
  } catch (error) {
    throw new OrcaError('usage', `${from} is not a private key in PEM: ${(error as Error).message}`, {hint: 'create a key pair with `orca keys generate`'})
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new OrcaError('usage', `${from} is a ${privateKey.asymmetricKeyType ?? 'unknown'} key, not an Ed25519 key`, {hint: 'create a key pair with `orca keys generate`'})
  }
  const publicKey = createPublicKey(privateKey)
  return {privateKey, publicKey, keyId: keyIdOf(publicKey)}
}

/** An Ed25519 public key from a PEM file (a private key's file gives its public half). */
export function readPublicKey(file: string, what: string): KeyObject {
  const pem = readKeyFile(file, what)
  let key: KeyObject
  try {
    key = createPublicKey(pem)
  } catch (error) {
    throw new OrcaError('usage', `${what} ${file} is not a public key in PEM: ${(error as Error).message}`, {hint: 'use the .pub file `orca keys generate` wrote'})
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new OrcaError('usage', `${what} ${file} is a ${key.asymmetricKeyType ?? 'unknown'} key, not an Ed25519 key`)
  return key
}

/** An Ed25519 private key from a PEM file. */
export function readPrivateKey(file: string, what: string): SigningKey {
  return parsePrivateKey(readKeyFile(file, what), `${what} ${file}`)
}

function readKeyFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    throw new OrcaError('usage', `cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: 'create a key pair with `orca keys generate`',
    })
  }
}

/** Writes a new Ed25519 key pair as `<dir>/<name>.key` (PKCS#8 PEM, mode 0600) and `<dir>/<name>.pub` (SPKI PEM); never overwrites. */
export function generateKeyFiles(dir: string, name = 'orca'): {privateFile: string; publicFile: string; keyId: string} {
  const privateFile = path.join(dir, `${name}.key`)
  const publicFile = path.join(dir, `${name}.pub`)
  for (const file of [privateFile, publicFile]) {
    if (existsSync(file)) throw new OrcaError('usage', `${file} already exists`, {hint: 'remove it first, or choose another folder with --out'})
  }
  const {privateKey, publicKey} = generateKeyPairSync('ed25519')
  mkdirSync(dir, {recursive: true})
  // wx: never through a file or link already there; chmod: exactly 0600 whatever the umask made of it.
  writeFileSync(privateFile, privateKey.export({type: 'pkcs8', format: 'pem'}), {mode: 0o600, flag: 'wx'})
  chmodSync(privateFile, 0o600)
  writeFileSync(publicFile, publicKey.export({type: 'spki', format: 'pem'}), {mode: 0o644, flag: 'wx'})
  return {privateFile, publicFile, keyId: keyIdOf(publicKey)}
}

/** The attestation key a configuration names (provenance.signingKey or ORCA_SIGNING_KEY); undefined = unsigned. */
export function signingKeyOf(config: ProvenanceKeyConfig | undefined): SigningKey | undefined {
  if (config === undefined) return undefined
  return 'pem' in config ? parsePrivateKey(config.pem, config.from) : readPrivateKey(config.file, 'the signing key (provenance.signingKey or ORCA_SIGNING_KEY)')
}
