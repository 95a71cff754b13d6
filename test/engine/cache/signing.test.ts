import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {hmacSigner, signerOf} from '../../../src/engine/cache/signing.js'
import {OrcaError} from '../../../src/engine/errors.js'

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

describe('signerOf', () => {
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
