import type {FlagTable} from './table.js'

export const verifyFlags = {
  key: {type: 'string', multiple: true, helpValue: 'PUB', description: "a public key (PEM) the attestation may be signed with; default: the public half of the configured signing key"},
  json: {type: 'boolean', default: false, description: 'print every check as JSON'},
} as const satisfies FlagTable
