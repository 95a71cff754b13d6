import {sign, verify, type KeyObject} from 'node:crypto'

import {keyIdOf, type SigningKey} from '../keys/ed25519.js'

/** The payload type of an in-toto Statement in a DSSE envelope. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json'

/** A DSSE envelope (github.com/secure-systems-lab/dsse, envelope.md): payload and signatures base64. */
export interface Envelope {
  payload: string
  payloadType: string
  signatures: Array<{keyid?: string; sig: string}>
}

/** DSSE's pre-authentication encoding: "DSSEv1" SP len(type) SP type SP len(body) SP body, lengths in bytes. */
export function pae(payloadType: string, body: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8')
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body])
}

/** Wraps `body` in an envelope, signed with `key` when one is given (else with no signatures: unsigned). */
export function envelopeOf(body: Uint8Array, payloadType: string, key?: SigningKey): Envelope {
  const signatures = key ? [{keyid: key.keyId, sig: sign(null, pae(payloadType, body), key.privateKey).toString('base64')}] : []
  return {payload: Buffer.from(body).toString('base64'), payloadType, signatures}
}

/** The id of the first of `keys` that signed the envelope, or undefined when none did. */
export function signedBy(envelope: Envelope, keys: readonly KeyObject[]): string | undefined {
  const body = Buffer.from(envelope.payload, 'base64')
  const message = pae(envelope.payloadType, body)
  for (const signature of envelope.signatures) {
    if (typeof signature?.sig !== 'string') continue
    const sig = Buffer.from(signature.sig, 'base64')
    // The keyid is an unauthenticated hint: every key is tried, whatever it says.
    for (const key of keys) if (verify(null, message, key, sig)) return keyIdOf(key)
  }
  return undefined
}

/** Whether a parsed value has an envelope's shape (strings where DSSE wants them). */
export function isEnvelope(value: unknown): value is Envelope {
  const envelope = value as Envelope | null
  return (
    typeof envelope === 'object' &&
    envelope !== null &&
    typeof envelope.payload === 'string' &&
    typeof envelope.payloadType === 'string' &&
    Array.isArray(envelope.signatures) &&
    envelope.signatures.every((s) => typeof s === 'object' && s !== null && typeof s.sig === 'string' && (s.keyid === undefined || typeof s.keyid === 'string'))
  )
}
