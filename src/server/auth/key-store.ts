import {createHash, randomBytes, timingSafeEqual} from 'node:crypto'
import {readFileSync, statSync} from 'node:fs'
import * as path from 'node:path'

import {replaceFile} from '../../engine/atomic-file.js'
import {OrcaError} from '../../engine/errors.js'
import {isScope, SCOPES, type Scope} from './scopes.js'

/** One API key as stored: never its secret, only the secret's SHA-256. */
export interface StoredKey {
  id: string
  name: string
  scopes: Scope[]
  created: string
  /** ISO time after which the key is refused. */
  expires?: string
  /** ISO time of `orca serve keys revoke`; a revoked key is refused at once by a running server. */
  revoked?: string
  sha256: string
}

/** A key as `ls` shows it: the stored fields but the hash, and when a server last accepted it. */
export interface ListedKey extends Omit<StoredKey, 'sha256'> {
  lastUsed?: string
}

interface KeyFile {
  version: 1
  keys: StoredKey[]
}

/** Who a request is: a stored key, or the server's `--token` (a key with every scope). */
export interface Principal {
  id: string
  name: string
  scopes: readonly Scope[]
}

export type KeyCheck = {ok: true; principal: Principal} | {ok: false; reason: 'unknown' | 'revoked' | 'expired'}

// `orca_<id>_<secret>`: the id finds the record (and names the key in logs), the secret proves it.
const KEY_PATTERN = /^orca_([0-9a-f]{12})_([A-Za-z0-9_-]{32})$/
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** Where a project's keys live: beside its runs folder, in orca's state directory. */
export function keyFilesOf(runsDir: string): {keys: string; used: string} {
  const stateDir = path.dirname(runsDir)
  return {keys: path.join(stateDir, 'serve-keys.json'), used: path.join(stateDir, 'serve-keys-used.json')}
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest()

/**
 * The API keys of `orca serve`: written by `orca serve keys add|revoke`, read by the server, which
 * re-reads the file whenever a cheap stat says it changed, so a revoke needs no restart. Last-used
 * times go to a file of their own, written only by the server, so the two writers never race.
 */
export class KeyStore {
  private cached: {stamp: string; keys: StoredKey[]} | undefined
  private readonly used = new Map<string, string>()
  private usedDirty = false

  constructor(readonly files: {keys: string; used: string}) {}

  static forRunsDir(runsDir: string): KeyStore {
    return new KeyStore(keyFilesOf(runsDir))
  }

  /** Whether the key file exists: from then on, every protected route needs a key (even with none left). */
  get enabled(): boolean {
    return this.load() !== undefined
  }

  /** Keys that are neither revoked nor expired. */
  activeKeys(now = Date.now()): StoredKey[] {
    return (this.load() ?? []).filter((key) => key.revoked === undefined && !expired(key, now))
  }

  /** Creates a key and returns its secret, which is shown once and never stored. */
  add(name: string, scopes: string[], options: {expiresInMs?: number; now?: Date} = {}): {key: ListedKey; secret: string} {
    if (!NAME_PATTERN.test(name)) throw new OrcaError('usage', `key name ${JSON.stringify(name)}: expected 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`)
    const unknown = scopes.filter((scope) => !isScope(scope))
    if (unknown.length > 0) throw new OrcaError('usage', `unknown scope ${unknown.map((s) => JSON.stringify(s)).join(', ')}: expected ${SCOPES.join(', ')}`)
    if (scopes.length === 0) throw new OrcaError('usage', `a key needs at least one --scope (${SCOPES.join(', ')})`)
    const keys = this.load() ?? []
    if (keys.some((key) => key.name === name && key.revoked === undefined)) {
      throw new OrcaError('usage', `a key named ${name} exists already`, {hint: `revoke it first (orca serve keys revoke ${name}) or pick another name`})
    }
    const now = options.now ?? new Date()
    const id = randomBytes(6).toString('hex')
    const secret = `orca_${id}_${randomBytes(24).toString('base64url')}`
    const key: StoredKey = {
      id,
      name,
      scopes: [...new Set(scopes as Scope[])].sort((a, b) => SCOPES.indexOf(a) - SCOPES.indexOf(b)),
      created: now.toISOString(),
      ...(options.expiresInMs === undefined ? {} : {expires: new Date(now.getTime() + options.expiresInMs).toISOString()}),
      sha256: sha256(secret).toString('hex'),
    }
    this.save([...keys, key])
    const {sha256: _hash, ...listed} = key
    return {key: listed, secret}
  }

  /** Every key with its last use; revoked and expired ones too, so an audit sees them. */
  list(): ListedKey[] {
    const used = this.readUsed()
    return (this.load() ?? []).map(({sha256: _hash, ...key}) => ({...key, ...(used[key.id] === undefined ? {} : {lastUsed: used[key.id]})}))
  }

  /** Revokes the key with this id or name (an active one, when a name was reused); returns it. */
  revoke(idOrName: string, now = new Date()): ListedKey {
    const keys = this.load() ?? []
    const key = keys.find((k) => k.id === idOrName && k.revoked === undefined) ?? keys.find((k) => k.name === idOrName && k.revoked === undefined)
    if (key === undefined) {
      const gone = keys.find((k) => k.id === idOrName || k.name === idOrName)
      throw new OrcaError('usage', gone ? `key ${idOrName} is revoked already` : `no key ${idOrName}`, {hint: 'orca serve keys ls lists the keys'})
    }
    key.revoked = now.toISOString()
    this.save(keys)
    const {sha256: _hash, ...listed} = key
    return listed
  }

  /** Checks a presented secret against the stored hashes, in time that does not depend on where it differs. */
  check(secret: string, now = Date.now()): KeyCheck {
    const match = KEY_PATTERN.exec(secret)
    if (!match) return {ok: false, reason: 'unknown'}
    const key = (this.load() ?? []).find((k) => k.id === match[1])
    if (key === undefined || !timingSafeEqual(sha256(secret), Buffer.from(key.sha256, 'hex'))) return {ok: false, reason: 'unknown'}
    if (key.revoked !== undefined) return {ok: false, reason: 'revoked'}
    if (expired(key, now)) return {ok: false, reason: 'expired'}
    this.used.set(key.id, new Date(now).toISOString())
    this.usedDirty = true
    return {ok: true, principal: {id: key.id, name: key.name, scopes: key.scopes}}
  }

  /** Writes the last-used times collected since the previous flush (the server calls it now and then). */
  flushUsed(): void {
    if (!this.usedDirty) return
    this.usedDirty = false
    replaceFile(this.files.used, `${JSON.stringify({...this.readUsed(), ...Object.fromEntries(this.used)}, null, 2)}\n`, {createDir: true})
  }

  /** The parsed key file, re-read when its size, time or inode changed; undefined when there is none. */
  private load(): StoredKey[] | undefined {
    let stamp: string
    try {
      const stat = statSync(this.files.keys)
      stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}`
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return (this.cached = undefined)
      throw error
    }
    if (this.cached?.stamp === stamp) return this.cached.keys
    const text = readFileSync(this.files.keys, 'utf8')
    let parsed: KeyFile
    try {
      parsed = JSON.parse(text) as KeyFile
      if (parsed.version !== 1 || !Array.isArray(parsed.keys)) throw new Error('not a version 1 key file')
    } catch (error) {
      throw new OrcaError('config', `${this.files.keys}: not a key file of orca serve (${(error as Error).message})`, {cause: error})
    }
    this.cached = {stamp, keys: parsed.keys}
    return parsed.keys
  }

  private save(keys: StoredKey[]): void {
    const file: KeyFile = {version: 1, keys}
    replaceFile(this.files.keys, `${JSON.stringify(file, null, 2)}\n`, {createDir: true, mode: 0o600})
    this.cached = undefined
  }

  private readUsed(): Record<string, string> {
    try {
      return JSON.parse(readFileSync(this.files.used, 'utf8')) as Record<string, string>
    } catch {
      return {}
    }
  }
}

function expired(key: StoredKey, now: number): boolean {
  return key.expires !== undefined && Date.parse(key.expires) <= now
}
