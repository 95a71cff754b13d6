import {generateKeyPairSync, sign} from 'node:crypto'

import {describe, expect, it} from 'vitest'

import {keyIdOf, type SigningKey} from '../../../src/engine/keys/ed25519.js'
import {envelopeOf, isEnvelope, pae, signedBy} from '../../../src/engine/provenance/dsse.js'

function newKey(): SigningKey {
  const {privateKey, publicKey} = generateKeyPairSync('ed25519')
  return {privateKey, publicKey, keyId: keyIdOf(publicKey)}
}

describe('pae', () => {
  it('is the DSSE protocol example byte for byte', () => {
    // The example of secure-systems-lab/dsse protocol.md.
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world')
  })

  it('counts bytes, not characters, and keeps binary bodies as they are', () => {
    const body = Buffer.from([0x00, 0xff, 0x20, 0x0a])
    const encoded = pae('tÿpe', body)
    expect(encoded.subarray(0, 17).toString('latin1')).toBe('DSSEv1 5 t\u00c3\u00bfpe 4 ')
    expect(encoded.subarray(-4)).toEqual(body)
    expect(pae('t', Buffer.alloc(0)).toString()).toBe('DSSEv1 1 t 0 ')
  })
})

describe('envelopeOf and signedBy', () => {
  const body = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}')

  it('signs the PAE of the payload with Ed25519 and names the key by the digest of its public key', () => {
    const key = newKey()
    const envelope = envelopeOf(body, 'application/vnd.in-toto+json', key)
    expect(Buffer.from(envelope.payload, 'base64')).toEqual(body)
    expect(envelope.signatures).toEqual([{keyid: key.keyId, sig: expect.any(String)}])
    expect(key.keyId).toMatch(/^[0-9a-f]{64}$/)
    expect(signedBy(envelope, [newKey().publicKey, key.publicKey])).toBe(key.keyId)
    expect(isEnvelope(envelope)).toBe(true)
  })

  it('finds no signer for a changed payload or type, another key, or an unsigned envelope', () => {
    const key = newKey()
    const envelope = envelopeOf(body, 'application/vnd.in-toto+json', key)
    const flipped = Buffer.from(body)
    flipped[3] = flipped[3]! ^ 1
    expect(signedBy({...envelope, payload: flipped.toString('base64')}, [key.publicKey])).toBeUndefined()
    expect(signedBy({...envelope, payloadType: 'application/json'}, [key.publicKey])).toBeUndefined()
    expect(signedBy(envelope, [newKey().publicKey])).toBeUndefined()
    expect(envelopeOf(body, 'application/vnd.in-toto+json').signatures).toEqual([])
    expect(signedBy(envelopeOf(body, 'application/vnd.in-toto+json'), [key.publicKey])).toBeUndefined()
  })

  it('treats the keyid as a hint: the right key verifies whatever it says, a claimed keyid alone verifies nothing', () => {
    const key = newKey()
    const forger = newKey()
    const sig = (signer: SigningKey) => sign(null, pae('t', body), signer.privateKey).toString('base64')
    const base = {payload: body.toString('base64'), payloadType: 't'}
    expect(signedBy({...base, signatures: [{keyid: 'whatever', sig: sig(key)}]}, [key.publicKey])).toBe(key.keyId)
    expect(signedBy({...base, signatures: [{keyid: key.keyId, sig: sig(forger)}]}, [key.publicKey])).toBeUndefined()
    expect(signedBy({...base, signatures: [{keyid: key.keyId, sig: sig(forger)}, {sig: sig(key)}]}, [key.publicKey])).toBe(key.keyId)
  })

  it('isEnvelope refuses what is not one', () => {
    for (const value of [null, [], {payload: 'x', payloadType: 't'}, {payload: 1, payloadType: 't', signatures: []}, {payload: 'x', payloadType: 't', signatures: [{sig: 2}]}]) {
      expect(isEnvelope(value), JSON.stringify(value)).toBe(false)
    }
  })
})
