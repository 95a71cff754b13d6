import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {KeyStore} from '../../../src/server/auth/key-store.js'
import {grants} from '../../../src/server/auth/scopes.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

function store(): KeyStore {
  const dir = mkdtempSync(join(tmpdir(), 'orca-keys-'))
  dirs.push(dir)
  return KeyStore.forRunsDir(join(dir, '.orca', 'runs'))
}

describe('KeyStore', () => {
  it('stores only a hash of the secret, in a file only its owner can read, and accepts the secret it printed', () => {
    const keys = store()
    expect(keys.enabled).toBe(false)
    const {key, secret} = keys.add('ci', ['run', 'read'])
    expect(secret).toMatch(/^orca_[0-9a-f]{12}_[A-Za-z0-9_-]{32}$/)
    expect(secret.startsWith(`orca_${key.id}_`)).toBe(true)
    const text = readFileSync(keys.files.keys, 'utf8')
    expect(text).not.toContain(secret.split('_').slice(2).join('_'))
    expect(statSync(keys.files.keys).mode & 0o777).toBe(0o600)
    expect(key.scopes).toEqual(['read', 'run'])
    expect(keys.enabled).toBe(true)
    expect(keys.check(secret)).toEqual({ok: true, principal: {id: key.id, name: 'ci', scopes: ['read', 'run']}})
  })

  it('refuses a secret that differs in one character, a malformed one, and another key\'s id with this secret', () => {
    const keys = store()
    const {secret} = keys.add('a', ['read'])
    const other = keys.add('b', ['read'])
    const last = secret.at(-1) === 'A' ? 'B' : 'A'
    expect(keys.check(secret.slice(0, -1) + last)).toEqual({ok: false, reason: 'unknown'})
    expect(keys.check('not-a-key')).toEqual({ok: false, reason: 'unknown'})
    expect(keys.check(`orca_${other.key.id}_${secret.split('_').slice(2).join('_')}`)).toEqual({ok: false, reason: 'unknown'})
  })

  it('sees a revoke made by another process without being recreated', () => {
    const server = store()
    const {key, secret} = server.add('ci', ['run'])
    expect(server.check(secret).ok).toBe(true)
    // Another process (orca serve keys revoke) writes the same file.
    new KeyStore(server.files).revoke('ci')
    expect(server.check(secret)).toEqual({ok: false, reason: 'revoked'})
    expect(server.list().find((k) => k.id === key.id)?.revoked).toBeDefined()
  })

  it('refuses an expired key and keeps auth on once the last key is revoked', () => {
    const keys = store()
    const {secret} = keys.add('short', ['read'], {expiresInMs: 1000, now: new Date(Date.now() - 2000)})
    expect(keys.check(secret)).toEqual({ok: false, reason: 'expired'})
    keys.revoke('short')
    expect(keys.activeKeys()).toEqual([])
    expect(keys.enabled).toBe(true)
  })

  it('records when a key was last used, in its own file, and lists keys without their hashes', () => {
    const keys = store()
    const {key, secret} = keys.add('ci', ['read'])
    keys.check(secret, Date.parse('2026-01-02T03:04:05Z'))
    keys.flushUsed()
    const listed = new KeyStore(keys.files).list()
    expect(listed).toEqual([{id: key.id, name: 'ci', scopes: ['read'], created: key.created, lastUsed: '2026-01-02T03:04:05.000Z'}])
    expect(JSON.stringify(listed)).not.toContain('sha256')
  })

  it('refuses bad names, unknown scopes, no scope and a second active key of one name', () => {
    const keys = store()
    expect(() => keys.add('../x', ['read'])).toThrow(/key name/)
    expect(() => keys.add('x', ['write'])).toThrow(/unknown scope "write"/)
    expect(() => keys.add('x', [])).toThrow(/at least one --scope/)
    keys.add('x', ['read'])
    expect(() => keys.add('x', ['read'])).toThrow(/exists already/)
    expect(() => keys.revoke('nope')).toThrow(/no key nope/)
  })

  it('says which file is broken rather than accepting nobody silently', () => {
    const keys = store()
    keys.add('x', ['read'])
    writeFileSync(keys.files.keys, '{"version": 9}')
    expect(() => keys.check('orca_000000000000_' + 'a'.repeat(32))).toThrow(/not a key file of orca serve/)
  })
})

describe('scopes', () => {
  it('admin implies every scope; the others imply only themselves', () => {
    expect(grants(['admin'], 'sandbox')).toBe(true)
    expect(grants(['run'], 'run')).toBe(true)
    expect(grants(['run'], 'read')).toBe(false)
    expect(grants(['read', 'sandbox'], 'admin')).toBe(false)
  })
})
