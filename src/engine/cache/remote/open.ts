import type {RemoteCacheConfig} from '../../config/types.js'
import type {CacheStore} from '../store.js'
import type {RemoteBackend} from './backend.js'
import {RemoteCache} from './remote-cache.js'
import {turboBackend} from './turbo.js'

/** The store `cache.remote` names; the S3 client is loaded only for an s3:// URL. */
export async function remoteBackendOf(config: RemoteCacheConfig, env: NodeJS.ProcessEnv): Promise<RemoteBackend> {
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(config.url)
  if (s3) {
    const {s3Backend} = await import('./s3.js')
    return s3Backend({bucket: s3[1]!, prefix: s3[2]!.replace(/\/+$/, ''), ...(config.endpoint ? {endpoint: config.endpoint} : {}), ...(config.region ? {region: config.region} : {})})
  }
  const token = env[config.tokenEnv]?.trim()
  return turboBackend({url: config.url, team: config.team, ...(token ? {token} : {})})
}

/** The remote cache `cache.remote` describes, in front of the local `store`. */
export function remoteCacheOf(config: RemoteCacheConfig, backend: RemoteBackend, store: CacheStore): RemoteCache {
  return new RemoteCache(store, {
    backend,
    namespace: config.namespace,
    readOnly: config.readOnly,
    policy: {timeoutMs: config.timeoutMs, retries: config.retries, backoffMs: 200},
    concurrency: config.concurrency,
  })
}

/** What openRunCache takes to put the configured remote cache (if any) in front of the local one. */
export interface RemoteOption {
  remote?: (store: CacheStore) => RemoteCache
  /** Opens connections to the remote for `count` lookups soon to come (see RemoteBackend.preconnect), at most `concurrency`. */
  preconnect?: (count: number) => void
}

export async function remoteOption(config: RemoteCacheConfig | undefined, env: NodeJS.ProcessEnv): Promise<RemoteOption> {
  if (config === undefined) return {}
  const backend = await remoteBackendOf(config, env)
  return {
    remote: (store) => remoteCacheOf(config, backend, store),
    ...(backend.preconnect ? {preconnect: (count: number) => backend.preconnect!(Math.min(count, config.concurrency))} : {}),
  }
}
