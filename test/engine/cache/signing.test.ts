import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {generateKeyPairSync} from 'node:crypto'

import {ed25519Signer, hmacSigner, signerOf} from '../../../src/engine/cache/signing.js'
import {OrcaError} from '../../../src/engine/errors.js'
import {generateKeyFiles, keyIdOf, type SigningKey} from '../../../src/engine/keys/ed25519.js'

const SECRET = 'q'.repeat(32)

describe('hmacSigner', () => {
  it('checks its own signatures and names what is wrong with any other', () => {
    const signer = hmacSigner(SECRET)
    const signature = signer.sign('payload')
    expect(signer.check('payload', signature)).toBeUndefined()
    expect(signer.check('payload', undefined)).toBe('it is not signed')
    expect(signer.check('payload!', signature)).toBe('its signature does not match its content')
    expect(signer.check('payload', {...signature, value: signature.value.slice(2)})).toBe('its signature does not match its content')
    expect(signer.check('payload', hmacSigner('r'.repeat(32)).sign('payload'))).toBe('it is signed with another key')
    expect(signature.keyId).not.toContain(SECRET)
  })
})

function newKey(): SigningKey {
  const {privateKey, publicKey} = generateKeyPairSync('ed25519')
  return {privateKey, publicKey, keyId: keyIdOf(publicKey)}
}

describe('ed25519Signer', () => {
  it('a writer signs; a reader holding only the public key trusts its entries and no others', () => {
    const team = newKey()
    const writer = ed25519Signer(team, [])
    const reader = ed25519Signer(undefined, [team.publicKey])
    const signature = writer.sign('payload')
    expect(signature).toMatchObject({algorithm: 'ed25519', keyId: `ed25519:${team.keyId}`})
    expect(writer.check('payload', signature)).toBeUndefined()
    expect(reader.check('payload', signature)).toBeUndefined()
    expect(reader.canSign).toBe(false)
    expect(() => reader.sign('payload')).toThrow(/no privateKeyFile: this machine only reads signed entries/)

    expect(reader.check('payload!', signature)).toBe('its signature does not match its content')
    expect(reader.check('payload', undefined)).toBe('it is not signed')
    expect(reader.check('payload', ed25519Signer(newKey(), []).sign('payload'))).toBe('it is signed by a key that is not trusted (cache.signing.ed25519)')
    expect(reader.check('payload', hmacSigner(SECRET).sign('payload'))).toBe('it is signed with hmac-sha256, not ed25519')
    expect(hmacSigner(SECRET).check('payload', signature)).toBe('it is signed with ed25519, not hmac-sha256')
    // A trusted key id on another key's signature is still a forgery.
    const forged = {...ed25519Signer(newKey(), []).sign('payload'), keyId: signature.keyId}
    expect(reader.check('payload', forged)).toBe('its signature does not match its content')
  })

  it('trusts every listed public key besides its own', () => {
    const ci = newKey()
    const laptop = newKey()
    const signer = ed25519Signer(laptop, [ci.publicKey])
    expect(signer.check('p', ed25519Signer(ci, []).sign('p'))).toBeUndefined()
    expect(signer.check('p', signer.sign('p'))).toBeUndefined()
  })
})

describe('signerOf', () => {
  it('reads an Ed25519 key pair from the files orca keys generate writes; a reader may have only public keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orca-signing-'))
    try {
      const files = generateKeyFiles(dir)
      const writer = signerOf({ed25519: {privateKeyFile: files.privateFile, publicKeyFiles: []}}, {})!
      const reader = signerOf({ed25519: {publicKeyFiles: [files.publicFile]}}, {})!
      expect(reader.check('p', writer.sign('p'))).toBeUndefined()
      expect(writer.keyId).toBe(`ed25519:${files.keyId}`)
      // A public key where the private one belongs is a usage error naming the setting.
      expect(() => signerOf({ed25519: {privateKeyFile: files.publicFile, publicKeyFiles: []}}, {})).toThrow(/cache\.signing\.ed25519\.privateKeyFile.* is not a private key in PEM/)
      expect(() => signerOf({ed25519: {publicKeyFiles: [join(dir, 'absent.pub')]}}, {})).toThrow(/cannot read the cache public key \(cache\.signing\.ed25519\.publicKeyFiles\) .*absent\.pub: ENOENT/)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('reads the secret from a file or a variable, trimmed; none configured is no signer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orca-signing-'))
    try {
      writeFileSync(join(dir, 'key'), `${SECRET}\n`)
      const fromFile = signerOf({hmac: {keyFile: join(dir, 'key')}}, {})!
      expect(fromFile.check('p', hmacSigner(SECRET).sign('p'))).toBeUndefined()
      expect(signerOf({hmac: {keyEnv: 'K'}}, {K: SECRET})!.keyId).toBe(fromFile.keyId)
      expect(signerOf(undefined, {})).toBeUndefined()
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('refuses a missing, empty or short key as a usage error', () => {
    const usage = (run: () => unknown): string => {
      try {
        run()
      } catch (error) {
        expect(error).toBeInstanceOf(OrcaError)
        expect((error as OrcaError).exitCode).toBe(2)
        return (error as Error).message
      }
      throw new Error('expected a usage error')
    }
    expect(usage(() => signerOf({hmac: {keyFile: '/nonexistent/key'}}, {}))).toMatch(/cannot read the cache signing key from \/nonexistent\/key .*ENOENT/)
    expect(usage(() => signerOf({hmac: {keyEnv: 'K'}}, {}))).toMatch(/from the variable K .* is empty/)
    expect(usage(() => signerOf({hmac: {secret: 'short', from: 'ORCA_CACHE_SIGNING_KEY'}}, {}))).toMatch(/too short: use at least 32 characters/)
  })
})
