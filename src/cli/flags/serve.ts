import type {FlagTable} from './table.js'

export const serveFlags = {
  host: {type: 'string', description: 'address to listen on (default: config serve.host, else 127.0.0.1)'},
  port: {type: 'integer', min: 0, max: 65535, description: 'port to listen on, 0 for any free one (default: config serve.port, else 7070)'},
  token: {type: 'string', env: 'ORCA_TOKEN', description: 'bearer token required on every route but /healthz'},
  'max-runs': {type: 'integer', min: 1, default: 2, description: 'runs executing at once; more wait in a queue'},
  'on-shutdown': {type: 'string', options: ['cancel', 'finish'], default: 'cancel', description: 'what SIGTERM does to live runs'},
  'allow-host': {type: 'string', multiple: true, description: 'another Host header to answer to, e.g. a reverse proxy name with its port'},
} as const satisfies FlagTable
